using System.Text;
using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;
using SlateDb.Read;

namespace SlateDb;

/// <summary>
/// A key-value database whose data lives in an object store. One process at a time writes a database: opening it
/// fences any older writer, whose next write then fails with <see cref="FencedException"/>.
/// </summary>
/// <remarks>
/// Thread-safe. Writes are applied in the order they arrive and become visible to reads at once; a write's
/// <see cref="WriteHandle.Durable"/> task completes when the WAL object holding it is stored (every
/// <see cref="Settings.FlushInterval"/>, or on <see cref="FlushAsync"/>). Key and value memory passed to a write must
/// stay unchanged until the returned task completes; values returned by reads belong to the caller. Cancelling a write
/// that awaits durability stops the wait, not the write: once applied, a write stays.
/// </remarks>
public sealed class Db : IAsyncDisposable
{
    private readonly DbEngine _engine;
    private readonly long _maxWriteBytes;

    internal Db(DbEngine engine)
    {
        _engine = engine;
        _maxWriteBytes = Limits.MaxWriteBytesFor(engine.Services.Settings);
    }

    internal DbEngine Engine => _engine;

    /// <summary>
    /// Whether the database is open, closed, fenced or failed, when it last stored a WAL object and whether writes wait
    /// to be made durable; cheap (no I/O), for health checks.
    /// </summary>
    public DbStatus Status => new()
    {
        State = _engine.Lifecycle.PublicState,
        Failure = _engine.Lifecycle.Cause,
        LastDurableWalWrite = _engine.LastWalStoredAt,
        HasPendingWrites = _engine.WriteLoop.VisibleSeq > _engine.WriteLoop.DurableSeq,
    };

    /// <summary>Opens (or creates) the database at <paramref name="path"/> in <paramref name="store"/> with default settings.</summary>
    /// <param name="path">The database's path inside the store, such as <c>orders</c> or <c>tenants/a/orders</c>.</param>
    /// <param name="store">The object store holding the database.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static Task<Db> OpenAsync(string path, IObjectStore store, CancellationToken cancellationToken = default)
        => Builder(path, store).BuildAsync(cancellationToken);

    /// <summary>Starts configuring the database at <paramref name="path"/> in <paramref name="store"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is not a valid database path.</exception>
    public static DbBuilder Builder(string path, IObjectStore store) => new(path, store);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">
    /// The key is empty or longer than 65 535 bytes, the value is larger than 64 MiB, or the write is larger than
    /// <see cref="Settings.MaxUnflushedBytes"/>.
    /// </exception>
    /// <returns>The write's handle; with <see cref="WriteOptions.AwaitDurable"/> (the default) once it is durable.</returns>
    public Task<WriteHandle> PutAsync(
        ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        Limits.ValidateKey(key.Span, nameof(key));
        Limits.ValidateValue(value.Span, nameof(value));
        Limits.ValidateWriteSize(Memtables.Memtable.EstimateEncodedSize(key.Length, value.Length, hasExpiry: false), _maxWriteBytes, nameof(value));
        Write.Expiry.Validate(writeOptions);
        return WriteOneAsync(RowKind.Put, key, value, writeOptions, cancellationToken);
    }

    /// <summary>Sets the UTF-8 encoding of <paramref name="key"/> to that of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key or value is outside the limits.</exception>
    public Task<WriteHandle> PutAsync(string key, string value, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        var (keyBytes, valueBytes) = Utf8(key, value, nameof(value));
        return PutAsync(keyBytes, valueBytes, writeOptions, cancellationToken);
    }

    /// <summary>
    /// Merges <paramref name="operand"/> into the value of <paramref name="key"/> with <see cref="Settings.MergeOperator"/>:
    /// reads see the operator applied to the key's value (or to nothing, when it has none) and every operand merged since,
    /// oldest first. The operand is stored as is and folded later, on reads, flushes and compactions.
    /// </summary>
    /// <exception cref="ArgumentException">The key or operand is outside the limits, or the time to live is not positive.</exception>
    /// <exception cref="InvalidOperationException">No merge operator is configured (<see cref="Settings.MergeOperator"/>).</exception>
    /// <returns>The write's handle; with <see cref="WriteOptions.AwaitDurable"/> (the default) once it is durable.</returns>
    public Task<WriteHandle> MergeAsync(
        ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> operand, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        Limits.ValidateKey(key.Span, nameof(key));
        Limits.ValidateValue(operand.Span, nameof(operand));
        Limits.ValidateWriteSize(Memtables.Memtable.EstimateEncodedSize(key.Length, operand.Length, hasExpiry: false), _maxWriteBytes, nameof(operand));
        Write.Expiry.Validate(writeOptions);
        RequireMergeOperator();
        return WriteOneAsync(RowKind.Merge, key, operand, writeOptions, cancellationToken);
    }

    /// <summary>Merges the UTF-8 encoding of <paramref name="operand"/> into the value of the UTF-8 encoding of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key or operand is outside the limits.</exception>
    /// <exception cref="InvalidOperationException">No merge operator is configured (<see cref="Settings.MergeOperator"/>).</exception>
    public Task<WriteHandle> MergeAsync(string key, string operand, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        var (keyBytes, operandBytes) = Utf8(key, operand, nameof(operand));
        return MergeAsync(keyBytes, operandBytes, writeOptions, cancellationToken);
    }

    /// <summary>Deletes <paramref name="key"/> (writes a tombstone; deleting an absent key is not an error).</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes (or than <see cref="Settings.MaxUnflushedBytes"/>).</exception>
    public Task<WriteHandle> DeleteAsync(ReadOnlyMemory<byte> key, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        Limits.ValidateKey(key.Span, nameof(key));
        Limits.ValidateWriteSize(Memtables.Memtable.EstimateEncodedSize(key.Length, 0, hasExpiry: false), _maxWriteBytes, nameof(key));
        return WriteOneAsync(RowKind.Delete, key, ReadOnlyMemory<byte>.Empty, writeOptions, cancellationToken);
    }

    /// <summary>Deletes the UTF-8 encoding of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key is empty or longer than 65 535 bytes.</exception>
    public Task<WriteHandle> DeleteAsync(string key, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return DeleteAsync(Encoding.UTF8.GetBytes(key), writeOptions, cancellationToken);
    }

    /// <summary>
    /// Deletes every key in <paramref name="range"/> with one durable range tombstone: the cost does not depend on how
    /// many keys the range holds (they are never read or listed). Gets, scans, snapshots, transactions and readers
    /// taken after the write no longer see them; compaction reclaims their space.
    /// </summary>
    /// <param name="range">The keys to delete (<see cref="KeyRange.All"/>, <see cref="KeyRange.From(ReadOnlyMemory{byte})"/>,
    /// <see cref="KeyRange.Between(ReadOnlyMemory{byte}, ReadOnlyMemory{byte})"/> or <see cref="KeyRange.Prefix(ReadOnlyMemory{byte})"/>).</param>
    /// <param name="writeOptions">Whether to wait for durability (the default does).</param>
    /// <param name="cancellationToken">Stops waiting; the delete may still be applied.</param>
    /// <exception cref="ArgumentException">The range is empty (the message names both bounds) or a bound is longer than 65 535 bytes.</exception>
    public async Task<WriteHandle> DeleteRangeAsync(KeyRange range, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        using var batch = new WriteBatch().DeleteRange(range);
        return await WriteAsync(batch, writeOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies every operation of <paramref name="batch"/> atomically, under one sequence number.</summary>
    /// <remarks>The batch must not change until the returned task completes; it may be reused afterwards.</remarks>
    /// <exception cref="ArgumentException">
    /// The batch is empty, or its estimated encoded size (keys, values and about 30 bytes per operation) is larger than
    /// <see cref="Settings.MaxUnflushedBytes"/>; nothing is written.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds merges and no merge operator is configured (<see cref="Settings.MergeOperator"/>).</exception>
    /// <exception cref="MergeOperatorException">The merge operator threw while folding merges on one key of the batch; nothing is written.</exception>
    public Task<WriteHandle> WriteAsync(WriteBatch batch, WriteOptions? writeOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(batch.IsDisposed, batch);
        if (batch.Count == 0)
        {
            throw new ArgumentException("The write batch is empty; add at least one put or delete.", nameof(batch));
        }

        Limits.ValidateWriteSize(batch.EncodedBytes, _maxWriteBytes, nameof(batch));
        Write.Expiry.Validate(writeOptions);
        if (batch.HasMerges)
        {
            batch = batch.FoldMerges(RequireMergeOperator());
            Limits.ValidateWriteSize(batch.EncodedBytes, _maxWriteBytes, nameof(batch));
        }

        return DbTracing.Enabled
            ? TraceWriteAsync(batch.Count, writeOptions, () => WriteCoreAsync(batch, writeOptions, cancellationToken))
            : WriteCoreAsync(batch, writeOptions, cancellationToken);
    }

    private Task<WriteHandle> WriteCoreAsync(WriteBatch batch, WriteOptions? writeOptions, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<WriteHandle>(cancellationToken);
        }

        var room = _engine.WaitForRoomAsync(cancellationToken);
        if (!room.IsCompletedSuccessfully)
        {
            return AfterRoomAsync(room, batch, writeOptions, cancellationToken);
        }

        return ApplyAsync(batch, writeOptions, cancellationToken);

        async Task<WriteHandle> AfterRoomAsync(ValueTask wait, WriteBatch b, WriteOptions? o, CancellationToken ct)
        {
            await wait.ConfigureAwait(false);
            return await ApplyAsync(b, o, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The value of <paramref name="key"/>, or null when it is absent or deleted. The array is the caller's.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    /// <exception cref="SlateDbException">
    /// The object store failed (<see cref="SlateDbErrorKind.Unavailable"/>, or <see cref="SlateDbErrorKind.Data"/> for a
    /// missing object; the store's exception is the inner exception), or an SST failed verification (<see cref="CorruptionException"/>).
    /// </exception>
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        Limits.ValidateKey(key.Span, nameof(key));
        return DbReads.GetAsync(_engine, key, Bound(readOptions), cancellationToken);
    }

    /// <summary>The value of the UTF-8 encoding of <paramref name="key"/>, or null.</summary>
    public ValueTask<byte[]?> GetAsync(string key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return GetAsync(Encoding.UTF8.GetBytes(key), readOptions, cancellationToken);
    }

    /// <summary>
    /// The keys and values in <paramref name="range"/> in key order, as they are when this is called (later writes are
    /// not seen). Use <see cref="KeyRange.Prefix(ReadOnlyMemory{byte})"/> for prefix scans.
    /// </summary>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    public DbIterator ScanAsync(KeyRange range, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(range);
        return DbReads.ScanAsync(_engine, range, Bound(readOptions), overlay: null, cancellationToken);
    }

    /// <summary>
    /// The values of <paramref name="keys"/> in the same order (null where absent or deleted; a key may repeat), equal
    /// to one <see cref="GetAsync(ReadOnlyMemory{byte}, ReadOptions?, CancellationToken)"/> per key but all read at one
    /// sequence number, with the lookups that need the same SSTs and blocks sharing their reads (nearby blocks are
    /// fetched with one ranged GET). The arrays are the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">A key is empty or longer than 65 535 bytes (the message names its index).</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    /// <exception cref="SlateDbException">The object store failed, as for a single get.</exception>
    public Task<byte[]?[]> GetManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> keys, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        DbReads.ValidateKeys(keys, nameof(keys));
        return DbReads.GetManyAsync(_engine, keys, Bound(readOptions), cancellationToken);
    }

    /// <summary>
    /// Opens a consistent read-only view of the database as it is now (see <see cref="DbSnapshot"/>); dispose it when done.
    /// </summary>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    public DbSnapshot Snapshot() => DbSnapshot.Open(_engine);

    /// <summary>
    /// Begins an optimistic transaction that reads the database as it is now plus its own writes and applies its writes
    /// atomically on commit unless they conflict (see <see cref="DbTransaction"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="isolation"/> is not a defined level.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    /// <exception cref="FencedException">A newer writer owns the database.</exception>
    public DbTransaction BeginTransaction(TransactionIsolation isolation = TransactionIsolation.Snapshot) => DbTransaction.Begin(_engine, isolation);

    /// <summary>
    /// Makes every write so far durable: <see cref="FlushType.Wal"/> stores the WAL buffer; <see cref="FlushType.MemTable"/>
    /// also flushes the memtable to an L0 SST and publishes it in the manifest.
    /// </summary>
    /// <exception cref="FencedException">A newer writer owns the database.</exception>
    /// <exception cref="DbClosedException">The database is closed, or closed because a background task failed (the message names it).</exception>
    /// <exception cref="SlateDbException">The object store failed (<see cref="SlateDbErrorKind.Unavailable"/> or <see cref="SlateDbErrorKind.Data"/>).</exception>
    public Task FlushAsync(FlushType flushType = FlushType.Wal, CancellationToken cancellationToken = default)
        => DbTracing.Enabled
            ? DbTracing.RunAsync("slatedb.flush", DbPath, null, () => FlushCoreAsync(flushType, cancellationToken), a => a.SetTag("slatedb.flush.type", flushType.ToString()))
            : FlushCoreAsync(flushType, cancellationToken);

    private Task FlushCoreAsync(FlushType flushType, CancellationToken cancellationToken)
    {
        try
        {
            var flushed = flushType switch
            {
                FlushType.Wal => _engine.WriteLoop.FlushWalAsync(),
                FlushType.MemTable => _engine.FlushMemtableAsync(cancellationToken),
                _ => throw new ArgumentOutOfRangeException(nameof(flushType), flushType, "Not a FlushType."),
            };
            return flushed.IsCompletedSuccessfully ? flushed : MapStoreErrorsAsync(flushed.WaitAsync(cancellationToken), "a flush");
        }
        catch (SlateDbException e)
        {
            return Task.FromException(e);
        }
    }

    /// <summary>
    /// Creates a checkpoint: an entry in the manifest that pins one manifest version, so garbage collection keeps every
    /// object it references and clones and readers can start from it. <see cref="CheckpointScope.All"/> first flushes
    /// the WAL and the memtable to L0; <see cref="CheckpointScope.Durable"/> pins what is durable now (L0 plus the WAL
    /// objects stored so far). With <see cref="CheckpointOptions.Source"/> it pins that checkpoint's manifest instead.
    /// </summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the source checkpoint does not exist.</exception>
    /// <exception cref="ArgumentException">The lifetime is not positive, or the name is empty or too long.</exception>
    /// <exception cref="FencedException">A newer writer owns the database.</exception>
    /// <exception cref="DbClosedException">The database is closed.</exception>
    public Task<CheckpointResult> CreateCheckpointAsync(
        CheckpointScope scope, CheckpointOptions? options = null, CancellationToken cancellationToken = default)
        => DbTracing.Enabled
            ? DbTracing.RunAsync(
                "slatedb.checkpoint",
                DbPath,
                null,
                () => _engine.CreateCheckpointAsync(scope, options, cancellationToken),
                (a, r) => a.SetTag("slatedb.checkpoint.scope", scope.ToString()).SetTag("slatedb.checkpoint.id", r.Id.ToString()).SetTag("slatedb.manifest.id", (long)r.ManifestId))
            : _engine.CreateCheckpointAsync(scope, options, cancellationToken);

    /// <summary>
    /// Flushes the memtable to L0, records the WAL position in the manifest and stops the background work. Later calls
    /// do nothing; every other call fails with <see cref="DbClosedException"/> afterwards.
    /// </summary>
    public Task CloseAsync(CancellationToken cancellationToken = default)
        => DbTracing.Enabled
            ? DbTracing.RunAsync("slatedb.close", DbPath, null, () => MapStoreErrorsAsync(_engine.CloseAsync(cancellationToken), "closing"))
            : MapStoreErrorsAsync(_engine.CloseAsync(cancellationToken), "closing");

    /// <summary>
    /// Closes the database like <see cref="CloseAsync"/>, except that it does not throw again the failure that had already
    /// closed the database (a <see cref="FencedException"/>, say), which the failed call reported; a failure while
    /// closing is thrown.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (SlateDbException) when (_engine.FailedBeforeClose)
        {
        }
    }

    private string DbPath => _engine.Services.DbPath;

    // The one place a store failure met by a flush or close becomes a SlateDbException (reads map theirs inline).
    private async Task MapStoreErrorsAsync(Task task, string doing)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(DbPath, doing, e);
        }
    }

    // The UTF-8 encodings of a key and a value, in one array.
    private static (ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value) Utf8(string key, string value, string valueName)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value, valueName);
        var bytes = new byte[Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value)];
        var keyLength = Encoding.UTF8.GetBytes(key, bytes);
        Encoding.UTF8.GetBytes(value, bytes.AsSpan(keyLength));
        return (bytes.AsMemory(0, keyLength), bytes.AsMemory(keyLength));
    }

    // The configured merge operator; writing a merge without one is refused before anything is written.
    private IMergeOperator RequireMergeOperator()
        => _engine.Services.Settings.MergeOperator
            ?? throw new InvalidOperationException(
                $"'{DbPath}': a merge needs a merge operator, and none is configured; set {nameof(Settings)}.{nameof(Settings.MergeOperator)} when opening the database.");

    private ReadBound Bound(ReadOptions? readOptions) => DbReads.Bound(_engine, readOptions);

    private Task<WriteHandle> WriteOneAsync(
        RowKind kind, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, WriteOptions? writeOptions, CancellationToken cancellationToken)
        => DbTracing.Enabled
            ? TraceWriteAsync(1, writeOptions, () => WriteOneCoreAsync(kind, key, value, writeOptions, cancellationToken))
            : WriteOneCoreAsync(kind, key, value, writeOptions, cancellationToken);

    private Task<WriteHandle> TraceWriteAsync(int rows, WriteOptions? writeOptions, Func<Task<WriteHandle>> write)
    {
        var awaitDurable = writeOptions?.AwaitDurable != false;
        return DbTracing.RunAsync(
            "slatedb.write",
            DbPath,
            null,
            write,
            (a, handle) => a.SetTag("slatedb.rows", rows).SetTag("slatedb.await_durable", awaitDurable).SetTag("slatedb.seq", (long)handle.Seq));
    }

    private Task<WriteHandle> WriteOneCoreAsync(
        RowKind kind, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, WriteOptions? writeOptions, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<WriteHandle>(cancellationToken);
        }

        var room = _engine.WaitForRoomAsync(cancellationToken);
        if (!room.IsCompletedSuccessfully)
        {
            return AfterRoomAsync(room, kind, key, value, writeOptions, cancellationToken);
        }

        return ApplyAsync(kind, key, value, writeOptions, cancellationToken);

        async Task<WriteHandle> AfterRoomAsync(
            ValueTask wait, RowKind k, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, WriteOptions? o, CancellationToken ct)
        {
            await wait.ConfigureAwait(false);
            return await ApplyAsync(k, key, value, o, ct).ConfigureAwait(false);
        }
    }

    private Task<WriteHandle> ApplyAsync(WriteBatch batch, WriteOptions? writeOptions, CancellationToken cancellationToken)
    {
        try
        {
            var expireTs = Write.Expiry.For(writeOptions, _engine.Services.Settings, _engine.Services.Time);
            return CompleteAsync(_engine.WriteLoop.Write(batch, writeOptions?.AwaitDurable != false, expireTs: expireTs), writeOptions, cancellationToken);
        }
        catch (SlateDbException e)
        {
            return Task.FromException<WriteHandle>(e);
        }
    }

    private Task<WriteHandle> ApplyAsync(
        RowKind kind, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, WriteOptions? writeOptions, CancellationToken cancellationToken)
    {
        try
        {
            var expireTs = Write.Expiry.For(writeOptions, _engine.Services.Settings, _engine.Services.Time);
            return CompleteAsync(_engine.WriteLoop.Write(kind, key, value, writeOptions?.AwaitDurable != false, expireTs), writeOptions, cancellationToken);
        }
        catch (SlateDbException e)
        {
            return Task.FromException<WriteHandle>(e);
        }
    }

    private static Task<WriteHandle> CompleteAsync(WriteHandle handle, WriteOptions? writeOptions, CancellationToken cancellationToken)
    {
        if (writeOptions?.AwaitDurable == false || handle.Durable.IsCompletedSuccessfully)
        {
            return Task.FromResult(handle);
        }

        return AwaitDurableAsync(handle, cancellationToken);

        static async Task<WriteHandle> AwaitDurableAsync(WriteHandle handle, CancellationToken ct)
        {
            await handle.Durable.WaitAsync(ct).ConfigureAwait(false);
            return handle;
        }
    }
}
