using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Core.Tests.Read;

/// <summary>
/// Wraps an iterator so that calls sometimes complete asynchronously and so that <see cref="Current"/> lives in one
/// reused buffer that is scribbled over on every move, the way block-decoding iterators behave. A merge that keeps a
/// source's memory past the next move, or that assumes synchronous sources, fails against it.
/// </summary>
internal sealed class HostileRowIterator : IRowIterator
{
    private readonly IRowIterator _inner;
    private readonly Random _random;
    private readonly bool _async;
    private byte[] _buffer = new byte[16];
    private Row _current;

    public HostileRowIterator(IRowIterator inner, int seed, bool async = true)
    {
        _inner = inner;
        _random = new Random(seed);
        _async = async;
    }

    public bool Disposed { get; private set; }

    public Row Current => _current;

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        _buffer.AsSpan().Fill(0xEE);
        _current = default;
        if (_async && _random.Next(3) == 0)
        {
            await Task.Yield();
        }

        if (!await _inner.MoveNextAsync(cancellationToken))
        {
            return false;
        }

        var row = _inner.Current;
        var length = row.Key.Length + row.Value.Length;
        if (length > _buffer.Length)
        {
            _buffer = new byte[length * 2];
        }

        row.Key.Span.CopyTo(_buffer);
        row.Value.Span.CopyTo(_buffer.AsSpan(row.Key.Length));
        _current = new Row(
            _buffer.AsMemory(0, row.Key.Length), row.Seq, row.Kind, _buffer.AsMemory(row.Key.Length, row.Value.Length), row.CreateTs, row.ExpireTs);
        return true;
    }

    public async ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        _buffer.AsSpan().Fill(0xEE);
        if (_async && _random.Next(2) == 0)
        {
            await Task.Yield();
        }

        await _inner.SeekAsync(key, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return _inner.DisposeAsync();
    }
}

/// <summary>Counts disposals and can fail on dispose.</summary>
internal sealed class DisposeTrackingIterator(Exception? failWith = null) : IRowIterator
{
    public int Disposals { get; private set; }

    public Row Current => default;

    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default) => new(false);

    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Disposals++;
        return failWith is null ? ValueTask.CompletedTask : ValueTask.FromException(failWith);
    }
}

/// <summary>Counts the moves and seeks made on an iterator.</summary>
internal sealed class CountingRowIterator(IRowIterator inner) : IRowIterator
{
    public int Moves { get; private set; }

    public int Seeks { get; private set; }

    public Row Current => inner.Current;

    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        Moves++;
        return inner.MoveNextAsync(cancellationToken);
    }

    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        Seeks++;
        return inner.SeekAsync(key, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
