using System.Buffers;
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
//  4. Appending is a plain copy into a pooled staging buffer (WalStagingBuffer) that validates the row first, so a bad
//     row still fails inside the write loop; the SST is encoded by the WAL writer's task after sealing. Each staging
//     buffer has exactly one owner: this buffer until Seal hands it to the SealedWal, then the WAL writer, which
//     disposes it (returning its chunks to the pool) after encoding or when abandoning it. Fail and Dispose return
//     the current generation's chunks.
//
// Not thread-safe: the write loop owns it under its lock.

/// <summary>The rows waiting for the next WAL object, copied as they arrive and encoded when stored.</summary>
internal sealed class WalBuffer : IDisposable
{
    // Per-row overhead beyond key and value bytes in the encoded WAL SST: seq, flags, timestamps, varint lengths.
    private const int RowOverheadBytes = 24;

    private readonly SstWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly ArrayPool<byte>? _pool;
    private WalStagingBuffer? _staging;
    private long _creationTimeMs;
    private TaskCompletionSource _durable = NewDurable();
    private ulong _minSeq;
    private ulong _maxSeq;
    private long _rows;
    private long _bytes;

    /// <param name="options">How WAL SSTs are laid out (kind and filter settings are forced to a WAL's).</param>
    /// <param name="time">The clock for the SSTs' creation time.</param>
    /// <param name="pool">Where staging buffers rent their chunks (the shared pool by default).</param>
    public WalBuffer(SstWriterOptions options, TimeProvider time, ArrayPool<byte>? pool = null)
    {
        _options = options with { Kind = SstKind.Wal, BloomBitsPerKey = 0 };
        _time = time;
        _pool = pool;
    }

    /// <summary>Whether the buffer holds no rows.</summary>
    public bool IsEmpty => _rows == 0;

    /// <summary>The estimated encoded size of the buffered rows.</summary>
    public long Bytes => _bytes;

    /// <summary>Completes when the rows buffered now are stored; shared by every write of this generation.</summary>
    public Task Durable => _durable.Task;

    /// <summary>Adds one row (rows must come in sequence order).</summary>
    /// <exception cref="ArgumentException">The row is invalid (key or value limits, a tombstone with a value).</exception>
    public void Append(in Row row)
    {
        if (_staging is null)
        {
            _staging = new WalStagingBuffer(_pool);
            _creationTimeMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            _minSeq = row.Seq;
        }

        _staging.Append(row);
        _maxSeq = row.Seq;
        _rows++;
        _bytes += row.Key.Length + row.Value.Length + RowOverheadBytes;
    }

    /// <summary>Hands the buffered rows over as WAL object <paramref name="walId"/> and starts a new generation.</summary>
    public SealedWal Seal(ulong walId)
    {
        if (_staging is null || _rows == 0)
        {
            throw new InvalidOperationException("An empty WAL buffer cannot be sealed.");
        }

        var options = _options with { CreationTimeMs = _creationTimeMs };
        var sealedWal = new SealedWal(walId, _staging, options, _minSeq, _maxSeq, _rows, _bytes, _durable);
        _staging = null;
        _durable = NewDurable();
        _rows = 0;
        _bytes = 0;
        return sealedWal;
    }

    /// <summary>Faults the current generation's durable task (the database failed or was fenced).</summary>
    public void Fail(Exception error)
    {
        _durable.TrySetException(error);
        _staging?.Dispose();
        _staging = null;
        _rows = 0;
        _bytes = 0;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _staging?.Dispose();
        _staging = null;
        _rows = 0;
        _bytes = 0;
    }

    private static TaskCompletionSource NewDurable() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A sealed WAL buffer: the rows of WAL object <see cref="WalId"/>, waiting to be encoded and stored.</summary>
/// <param name="WalId">The WAL id the object is stored at.</param>
/// <param name="Staged">The rows; the WAL writer encodes them and disposes the buffer.</param>
/// <param name="Options">How to lay out the SST (a WAL SST with its creation time).</param>
/// <param name="MinSeq">The smallest sequence number in the object.</param>
/// <param name="MaxSeq">The largest sequence number in the object.</param>
/// <param name="Rows">The number of rows.</param>
/// <param name="Bytes">The estimated encoded size (for backpressure accounting).</param>
/// <param name="Durable">Completed when the object is stored; faulted when it cannot be.</param>
internal sealed record SealedWal(
    ulong WalId,
    WalStagingBuffer Staged,
    SstWriterOptions Options,
    ulong MinSeq,
    ulong MaxSeq,
    long Rows,
    long Bytes,
    TaskCompletionSource Durable);
