using SlateDb.Format;

namespace SlateDb.Wal;

// The WAL buffer collects the rows of whole write batches until they are sealed into one WAL object.
//
// Invariants
//  1. Rows arrive in sequence order and a batch is appended entirely before the buffer can be sealed (the write loop
//     holds its lock across both), so a batch never spans two WAL objects.
//  2. Every write appended to one generation of the buffer shares that generation's durable task; the task completes
//     only after the WAL object made from that generation is stored (see WalWriter).
//  3. An empty buffer is never sealed: no WAL object without rows is ever written (fences are written elsewhere).
//
// Not thread-safe: the write loop owns it under its lock.

/// <summary>The rows waiting for the next WAL object, encoded as they arrive.</summary>
internal sealed class WalBuffer : IDisposable
{
    // Per-row overhead beyond key and value bytes in the encoded WAL SST: seq, flags, timestamps, varint lengths.
    private const int RowOverheadBytes = 24;

    private readonly SstWriterOptions _options;
    private readonly TimeProvider _time;
    private SstWriter? _writer;
    private TaskCompletionSource _durable = NewDurable();
    private ulong _minSeq;
    private ulong _maxSeq;
    private long _rows;
    private long _bytes;

    public WalBuffer(SstWriterOptions options, TimeProvider time)
    {
        _options = options with { Kind = SstKind.Wal, BloomBitsPerKey = 0 };
        _time = time;
    }

    /// <summary>Whether the buffer holds no rows.</summary>
    public bool IsEmpty => _rows == 0;

    /// <summary>The estimated encoded size of the buffered rows.</summary>
    public long Bytes => _bytes;

    /// <summary>Completes when the rows buffered now are stored; shared by every write of this generation.</summary>
    public Task Durable => _durable.Task;

    /// <summary>Adds one row (rows must come in sequence order).</summary>
    public void Append(in Row row)
    {
        if (_writer is null)
        {
            _writer = new SstWriter(_options with { CreationTimeMs = _time.GetUtcNow().ToUnixTimeMilliseconds() });
            _minSeq = row.Seq;
        }

        _writer.Add(row);
        _maxSeq = row.Seq;
        _rows++;
        _bytes += row.Key.Length + row.Value.Length + RowOverheadBytes;
    }

    /// <summary>Hands the buffered rows over as WAL object <paramref name="walId"/> and starts a new generation.</summary>
    public SealedWal Seal(ulong walId)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("An empty WAL buffer cannot be sealed.");
        }

        var sealedWal = new SealedWal(walId, _writer, _minSeq, _maxSeq, _rows, _bytes, _durable);
        _writer = null;
        _durable = NewDurable();
        _rows = 0;
        _bytes = 0;
        return sealedWal;
    }

    /// <summary>Faults the current generation's durable task (the database failed or was fenced).</summary>
    public void Fail(Exception error)
    {
        _durable.TrySetException(error);
        _writer?.Dispose();
        _writer = null;
        _rows = 0;
        _bytes = 0;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }

    private static TaskCompletionSource NewDurable() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A sealed WAL buffer: the rows of WAL object <see cref="WalId"/>, waiting to be encoded and stored.</summary>
/// <param name="WalId">The WAL id the object is stored at.</param>
/// <param name="Writer">The SST writer holding the rows; finished by the WAL writer.</param>
/// <param name="MinSeq">The smallest sequence number in the object.</param>
/// <param name="MaxSeq">The largest sequence number in the object.</param>
/// <param name="Rows">The number of rows.</param>
/// <param name="Bytes">The estimated encoded size (for backpressure accounting).</param>
/// <param name="Durable">Completed when the object is stored; faulted when it cannot be.</param>
internal sealed record SealedWal(ulong WalId, SstWriter Writer, ulong MinSeq, ulong MaxSeq, long Rows, long Bytes, TaskCompletionSource Durable);
