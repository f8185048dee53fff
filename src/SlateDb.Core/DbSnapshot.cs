using System.Text;
using SlateDb.Engine;
using SlateDb.Infrastructure;
using SlateDb.Read;

namespace SlateDb;

/// <summary>
/// A consistent, read-only view of the database at the moment <see cref="Db.Snapshot"/> was called: reads see every
/// write applied before that and none applied after, for as long as the snapshot is open.
/// </summary>
/// <remarks>
/// <para>While a snapshot is open, memtable flushes and compactions keep the versions it reads (the database's
/// <c>recent_snapshot_min_seq</c> stays at or below its <see cref="Seq"/>), so long-lived snapshots make the database
/// keep overwritten versions around: dispose a snapshot when done. A snapshot lives in this process only; a
/// checkpoint is the durable analogue.</para>
/// <para>A scan reads the sources that held the data when it started (pinned until it is disposed), so it keeps
/// reading the snapshot's versions even after the snapshot is disposed. The snapshot is thread-safe; each
/// <see cref="DbIterator"/> is not.</para>
/// </remarks>
public sealed class DbSnapshot : IAsyncDisposable
{
    private readonly DbEngine _engine;
    private int _disposed;

    private DbSnapshot(DbEngine engine, ulong seq)
    {
        _engine = engine;
        Seq = seq;
    }

    /// <summary>The sequence number the snapshot reads at: the last write it sees.</summary>
    public ulong Seq { get; }

    /// <summary>The value of <paramref name="key"/> at the snapshot, or null when it was absent or deleted. The array is the caller's.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes.</exception>
    /// <exception cref="ObjectDisposedException">The snapshot was disposed.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    /// <exception cref="SlateDbException">The object store failed, as for <see cref="Db.GetAsync(ReadOnlyMemory{byte}, ReadOptions?, CancellationToken)"/>.</exception>
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        Limits.ValidateKey(key.Span, nameof(key));
        ThrowIfDisposed();
        return DbReads.GetAsync(_engine, key, DbReads.Bound(_engine, readOptions, Seq), cancellationToken);
    }

    /// <summary>The value of the UTF-8 encoding of <paramref name="key"/> at the snapshot, or null.</summary>
    public ValueTask<byte[]?> GetAsync(string key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return GetAsync(Encoding.UTF8.GetBytes(key), readOptions, cancellationToken);
    }

    /// <summary>
    /// The values of <paramref name="keys"/> at the snapshot, in the same order (null where absent or deleted), as
    /// <see cref="Db.GetManyAsync"/> reads them.
    /// </summary>
    /// <exception cref="ArgumentException">A key is empty or longer than 65 535 bytes (the message names its index).</exception>
    /// <exception cref="ObjectDisposedException">The snapshot was disposed.</exception>
    public Task<byte[]?[]> GetManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> keys, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        DbReads.ValidateKeys(keys, nameof(keys));
        ThrowIfDisposed();
        return DbReads.GetManyAsync(_engine, keys, DbReads.Bound(_engine, readOptions, Seq), cancellationToken);
    }

    /// <summary>The keys and values in <paramref name="range"/> at the snapshot, in key order (seek forward with <see cref="DbIterator.SeekAsync"/>).</summary>
    /// <exception cref="ObjectDisposedException">The snapshot was disposed.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    public DbIterator ScanAsync(KeyRange range, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(range);
        ThrowIfDisposed();
        return DbReads.ScanAsync(_engine, range, DbReads.Bound(_engine, readOptions, Seq), overlay: null, cancellationToken);
    }

    /// <summary>Releases the snapshot: flushes and compactions may drop the versions only it could see. Later calls do nothing.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _engine.Snapshots.Release(Seq);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"DbSnapshot(seq {Seq})";

    /// <summary>Opens a snapshot at the visible seq of <paramref name="engine"/>.</summary>
    internal static DbSnapshot Open(DbEngine engine)
    {
        engine.Lifecycle.ThrowIfNotReadable();
        return new DbSnapshot(engine, engine.Snapshots.Register(() => engine.WriteLoop.VisibleSeq));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
