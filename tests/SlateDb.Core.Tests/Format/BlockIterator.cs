using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Core.Tests.Format;

/// <summary>An <see cref="IRowIterator"/> over the rows of a single decoded data block.</summary>
internal sealed class BlockIterator : IRowIterator
{
    private readonly BlockCursor _cursor = new();
    private readonly DataBlock _block;

    public BlockIterator(DataBlock block)
    {
        _block = block;
        _cursor.Reset(block);
    }

    /// <inheritdoc />
    public Row Current => _cursor.Current;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default) => new(_cursor.MoveNext());

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        _cursor.Reset(_block);
        _cursor.Seek(key.Span);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
