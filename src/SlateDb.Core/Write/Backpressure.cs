using SlateDb.Infrastructure;

namespace SlateDb.Write;

/// <summary>
/// Counts the bytes that are not yet in L0 and signals progress. Unflushed bytes = the active memtable + frozen
/// memtables waiting for L0 + WAL bytes buffered or sealed but not yet stored (rows count in both the memtable and
/// the WAL, as both hold memory). Writers wait while the sum reaches <see cref="Settings.MaxUnflushedBytes"/>.
/// </summary>
internal sealed class Backpressure
{
    private readonly long _limit;
    private readonly AsyncSignal _progress = new();
    private long _frozenBytes;
    private long _sealedWalBytes;

    public Backpressure(long limit) => _limit = limit;

    /// <summary>The limit on unflushed bytes.</summary>
    public long Limit => _limit;

    /// <summary>Bytes of frozen memtables not yet published to L0.</summary>
    public long FrozenBytes => Interlocked.Read(ref _frozenBytes);

    /// <summary>Bytes of sealed WAL buffers not yet stored.</summary>
    public long SealedWalBytes => Interlocked.Read(ref _sealedWalBytes);

    /// <summary>Completes at the next progress (a flush finished) or faults when the database fails.</summary>
    public Task ProgressTask => _progress.WaitTask;

    /// <summary>Whether unflushed bytes reach the limit, given the active memtable and WAL buffer sizes.</summary>
    public bool IsOverLimit(long activeBytes, long walBufferBytes)
        => activeBytes + walBufferBytes + FrozenBytes + SealedWalBytes >= _limit;

    /// <summary>The total unflushed bytes.</summary>
    public long Unflushed(long activeBytes, long walBufferBytes) => activeBytes + walBufferBytes + FrozenBytes + SealedWalBytes;

    public void MemtableFrozen(long bytes) => Interlocked.Add(ref _frozenBytes, bytes);

    public void MemtablePublished(long bytes)
    {
        Interlocked.Add(ref _frozenBytes, -bytes);
        _progress.Pulse();
    }

    public void WalSealed(long bytes) => Interlocked.Add(ref _sealedWalBytes, bytes);

    public void WalStored(long bytes)
    {
        Interlocked.Add(ref _sealedWalBytes, -bytes);
        _progress.Pulse();
    }

    /// <summary>Wakes every waiter so it re-checks (used when the database closes or fails).</summary>
    public void WakeAll() => _progress.Pulse();
}
