using System.Text;
using SlateDb.Engine;
using SlateDb.Infrastructure;
using SlateDb.Read;
using SlateDb.Transactions;

namespace SlateDb;

/// <summary>
/// An optimistic transaction: reads see the database as it was when <see cref="Db.BeginTransaction"/> was called plus
/// the transaction's own writes; writes are buffered until <see cref="CommitAsync"/> applies them atomically, as one
/// batch under one sequence number, unless a conflicting write was committed since the transaction began.
/// </summary>
/// <remarks>
/// <para><b>Conflicts.</b> Under <see cref="TransactionIsolation.Snapshot"/> the commit fails with
/// <see cref="TransactionConflictException"/> when any write committed after the start (another transaction, a put, a
/// delete or a batch) touched a key this transaction writes. Under
/// <see cref="TransactionIsolation.SerializableSnapshot"/> it also fails when such a write touched a key this
/// transaction read (a get of a key it did not write itself) or a key inside a range it scanned. The check and the
/// apply are one step of the database's write sequencing. After a conflict nothing is applied: begin a new
/// transaction and run it again. A transaction without writes commits without a check.</para>
/// <para><b>Lifetime.</b> <see cref="Rollback"/> or <see cref="DisposeAsync"/> discards the writes. While the
/// transaction is open the database keeps the versions it reads (like a <see cref="DbSnapshot"/>) and the write sets
/// committed since it began (for the check), so finish transactions promptly. Not thread-safe.</para>
/// <para><b>Scans</b> see the transaction's writes made before the scan started; those rows have the transaction's
/// start seq as <see cref="KeyValue.Seq"/>.</para>
/// </remarks>
public sealed class DbTransaction : IAsyncDisposable
{
    private readonly DbEngine _engine;
    private readonly WriteSet _writes = new();
    private readonly Dictionary<ulong, byte[]> _readKeys = [];
    private readonly List<KeyRange> _readRanges = [];
    private State _state;

    private DbTransaction(DbEngine engine, TransactionIsolation isolation, ulong startSeq)
    {
        _engine = engine;
        Isolation = isolation;
        StartSeq = startSeq;
    }

    private enum State
    {
        Open,
        Committed,
        RolledBack,
        Failed,
        Disposed,
    }

    /// <summary>The isolation level the transaction was begun with.</summary>
    public TransactionIsolation Isolation { get; }

    /// <summary>The sequence number the transaction reads at: the last write committed before it began.</summary>
    public ulong StartSeq { get; }

    /// <summary>Buffers a put of <paramref name="value"/> at <paramref name="key"/> (replacing an earlier write of the key in this transaction).</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes, the value is larger than 64 MiB, or the writes grow past 256 MiB encoded.</exception>
    /// <exception cref="InvalidOperationException">The transaction was committed, rolled back or disposed.</exception>
    public DbTransaction Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfNotOpen();
        Limits.ValidateKey(key, nameof(key));
        Limits.ValidateValue(value, nameof(value));
        _writes.Set(key, value, delete: false);
        return this;
    }

    /// <summary>Buffers a put of the UTF-8 encoding of <paramref name="value"/> at that of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key or value is outside the limits.</exception>
    public DbTransaction Put(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return Put(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Buffers a delete of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes.</exception>
    /// <exception cref="InvalidOperationException">The transaction was committed, rolled back or disposed.</exception>
    public DbTransaction Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfNotOpen();
        Limits.ValidateKey(key, nameof(key));
        _writes.Set(key, default, delete: true);
        return this;
    }

    /// <summary>Buffers a delete of the UTF-8 encoding of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key is empty or longer than 65 535 bytes.</exception>
    public DbTransaction Delete(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Delete(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>
    /// The value of <paramref name="key"/>: the transaction's own write of it, else the value at <see cref="StartSeq"/>;
    /// null when absent or deleted. The array is the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes.</exception>
    /// <exception cref="InvalidOperationException">The transaction was committed, rolled back or disposed.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    /// <exception cref="SlateDbException">The object store failed, as for <see cref="Db.GetAsync(ReadOnlyMemory{byte}, ReadOptions?, CancellationToken)"/>.</exception>
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        Limits.ValidateKey(key.Span, nameof(key));
        ThrowIfNotOpen();
        var ownKey = key.ToArray();
        if (_writes.TryGet(ownKey, out var own))
        {
            return new ValueTask<byte[]?>(own?.ToArray());
        }

        TrackRead(ownKey);
        return DbReads.GetAsync(_engine, key, DbReads.Bound(_engine, readOptions, StartSeq), cancellationToken);
    }

    /// <summary>The value of the UTF-8 encoding of <paramref name="key"/>, as <see cref="GetAsync(ReadOnlyMemory{byte}, ReadOptions?, CancellationToken)"/>.</summary>
    public ValueTask<byte[]?> GetAsync(string key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return GetAsync(Encoding.UTF8.GetBytes(key), readOptions, cancellationToken);
    }

    /// <summary>The values of <paramref name="keys"/> in the same order, each as <see cref="GetAsync(ReadOnlyMemory{byte}, ReadOptions?, CancellationToken)"/> returns it.</summary>
    /// <exception cref="ArgumentException">A key is empty or longer than 65 535 bytes (the message names its index).</exception>
    /// <exception cref="InvalidOperationException">The transaction was committed, rolled back or disposed.</exception>
    public async Task<byte[]?[]> GetManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> keys, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        DbReads.ValidateKeys(keys, nameof(keys));
        ThrowIfNotOpen();
        var results = new byte[]?[keys.Count];
        var fromDb = new List<ReadOnlyMemory<byte>>();
        var positions = new List<int>();
        for (var i = 0; i < keys.Count; i++)
        {
            var ownKey = keys[i].ToArray();
            if (_writes.TryGet(ownKey, out var own))
            {
                results[i] = own?.ToArray();
            }
            else
            {
                TrackRead(ownKey);
                fromDb.Add(ownKey);
                positions.Add(i);
            }
        }

        if (fromDb.Count > 0)
        {
            var found = await DbReads.GetManyAsync(_engine, fromDb, DbReads.Bound(_engine, readOptions, StartSeq), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < found.Length; i++)
            {
                results[positions[i]] = found[i];
            }
        }

        return results;
    }

    /// <summary>
    /// The keys and values in <paramref name="range"/> at <see cref="StartSeq"/> merged with the transaction's writes
    /// made so far (its deletes hide keys, its puts add or replace them), in key order.
    /// </summary>
    /// <exception cref="InvalidOperationException">The transaction was committed, rolled back or disposed.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    public DbIterator ScanAsync(KeyRange range, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(range);
        ThrowIfNotOpen();
        if (Isolation == TransactionIsolation.SerializableSnapshot)
        {
            _readRanges.Add(range);
        }

        return DbReads.ScanAsync(_engine, range, DbReads.Bound(_engine, readOptions, StartSeq), bound => _writes.CreateIterator(range, bound), cancellationToken);
    }

    /// <summary>
    /// Checks for conflicts and applies the transaction's writes atomically as one batch; with
    /// <see cref="WriteOptions.AwaitDurable"/> (the default) the task completes once they are durable. The transaction
    /// is finished afterwards, whatever the outcome (except a cancellation before the writes were applied).
    /// </summary>
    /// <returns>The handle of the applied batch (for a transaction without writes: its start seq, already durable).</returns>
    /// <exception cref="TransactionConflictException">A conflicting write was committed since the start; nothing was applied.</exception>
    /// <exception cref="InvalidOperationException">The transaction was already committed, rolled back or disposed.</exception>
    /// <exception cref="ArgumentException">
    /// The writes are larger than <see cref="Settings.MaxUnflushedBytes"/>, or the time to live of <paramref name="writeOptions"/> is not positive.
    /// </exception>
    /// <exception cref="FencedException">A newer writer owns the database.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    public async Task<WriteHandle> CommitAsync(WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        if (_writes.Count == 0)
        {
            Finish(State.Committed);
            return new WriteHandle(StartSeq, Task.CompletedTask);
        }

        using var batch = _writes.ToBatch();
        long expireTs;
        try
        {
            Limits.ValidateWriteSize(batch.EncodedBytes, Limits.MaxWriteBytesFor(_engine.Services.Settings), "writes");
            expireTs = Write.Expiry.For(writeOptions, _engine.Services.Settings, _engine.Services.Time);
        }
        catch
        {
            Finish(State.Failed);
            throw;
        }

        await _engine.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        WriteHandle handle;
        try
        {
            var checkedKeys = Isolation == TransactionIsolation.SerializableSnapshot ? _writes.Keys.Concat(_readKeys.Values) : _writes.Keys;
            handle = _engine.WriteLoop.Write(
                batch, writeOptions?.AwaitDurable != false, () => _engine.WriteLoop.Commits.Check(_engine.Services.DbPath, StartSeq, checkedKeys, _readRanges), expireTs);
        }
        catch
        {
            Finish(State.Failed);
            throw;
        }

        Finish(State.Committed);
        if (writeOptions?.AwaitDurable != false)
        {
            await handle.Durable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return handle;
    }

    /// <summary>Discards the transaction's writes and finishes it. Does nothing when it is already finished.</summary>
    public void Rollback()
    {
        if (_state == State.Open)
        {
            Finish(State.RolledBack);
        }
    }

    /// <summary>Rolls the transaction back unless it was committed. Later calls do nothing.</summary>
    public ValueTask DisposeAsync()
    {
        Rollback();
        _state = State.Disposed;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"DbTransaction({Isolation}, start seq {StartSeq}, {_writes.Count} writes, {_state})";

    /// <summary>Begins a transaction on <paramref name="engine"/> at its visible seq.</summary>
    internal static DbTransaction Begin(DbEngine engine, TransactionIsolation isolation)
    {
        if (isolation is not (TransactionIsolation.Snapshot or TransactionIsolation.SerializableSnapshot))
        {
            throw new ArgumentOutOfRangeException(nameof(isolation), isolation, "Not a TransactionIsolation.");
        }

        engine.Lifecycle.ThrowIfNotWritable();
        var start = engine.WriteLoop.Commits.Begin(() => engine.Snapshots.Register(() => engine.WriteLoop.VisibleSeq));
        return new DbTransaction(engine, isolation, start);
    }

    private void TrackRead(byte[] key)
    {
        if (Isolation == TransactionIsolation.SerializableSnapshot)
        {
            _readKeys.TryAdd(CommittedWrites.Hash(key), key);
        }
    }

    private void Finish(State state)
    {
        _state = state;
        _engine.Snapshots.Release(StartSeq);
        _engine.WriteLoop.Commits.End(StartSeq);
    }

    private void ThrowIfNotOpen()
    {
        ObjectDisposedException.ThrowIf(_state == State.Disposed, this);
        if (_state != State.Open)
        {
            throw new InvalidOperationException(_state switch
            {
                State.Committed => "The transaction was already committed; begin a new one.",
                State.RolledBack => "The transaction was rolled back; begin a new one.",
                _ => "The transaction's commit failed (nothing was applied); begin a new one.",
            });
        }
    }
}
