using SlateDb.Engine;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;

namespace SlateDb.Read;

/// <summary>
/// The reads the database, its snapshots and its transactions share: a get, a batched get and a scan at a visibility
/// bound, each refusing to run on a closed database and turning store failures into <see cref="SlateDbException"/>s.
/// </summary>
internal static class DbReads
{
    /// <summary>
    /// The visibility bound of a snapshot's or transaction's read: <paramref name="seq"/>, lowered to the durable seq for
    /// <see cref="DurabilityLevel.Remote"/>.
    /// </summary>
    public static ReadBound Bound(DbEngine engine, ReadOptions? readOptions, ulong seq) => ReadBound.AtSnapshot(engine.WriteLoop, seq, readOptions);

    /// <summary>The visibility bound of a read of the database: the visible seq when it starts, lowered to the durable seq for <see cref="DurabilityLevel.Remote"/>.</summary>
    public static ReadBound Bound(DbEngine engine, ReadOptions? readOptions) => ReadBound.Visible(engine.WriteLoop, readOptions);

    /// <summary>The value of <paramref name="key"/> at <paramref name="bound"/>, or null; a <c>slatedb.get</c> span when anyone listens.</summary>
    public static ValueTask<byte[]?> GetAsync(DbEngine engine, ReadOnlyMemory<byte> key, ReadBound bound, CancellationToken cancellationToken)
        => GetAsync(engine.Services, engine.Lifecycle, engine.State, engine.Tables, key, bound, cancellationToken);

    /// <summary>As <see cref="GetAsync(DbEngine, ReadOnlyMemory{byte}, ReadBound, CancellationToken)"/>, for any read state (a reader's too).</summary>
    public static ValueTask<byte[]?> GetAsync(
        EngineServices services, Lifecycle lifecycle, DbStateHolder state, TableCache tables, ReadOnlyMemory<byte> key, ReadBound bound, CancellationToken cancellationToken)
        => DbTracing.Enabled
            ? GetTracedAsync(services, lifecycle, state, tables, key, bound, cancellationToken)
            : GetCoreAsync(services, lifecycle, state, tables, key, bound, cancellationToken);

    private static async ValueTask<byte[]?> GetTracedAsync(
        EngineServices services, Lifecycle lifecycle, DbStateHolder state, TableCache tables, ReadOnlyMemory<byte> key, ReadBound bound, CancellationToken cancellationToken)
    {
        using var activity = DbTracing.Start("slatedb.get", services.DbPath);
        try
        {
            var value = await GetCoreAsync(services, lifecycle, state, tables, key, bound, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("slatedb.found", value is not null);
            return value;
        }
        catch (Exception e)
        {
            DbTracing.Failed(activity, e);
            throw;
        }
    }

    private static ValueTask<byte[]?> GetCoreAsync(
        EngineServices services, Lifecycle lifecycle, DbStateHolder holder, TableCache tables, ReadOnlyMemory<byte> key, ReadBound bound, CancellationToken cancellationToken)
    {
        if (!lifecycle.IsOpen)
        {
            return ValueTask.FromException<byte[]?>(lifecycle.ReadError());
        }

        services.Metrics.Get();
        var state = bound.Take(holder, out var seq);
        try
        {
            var found = PointLookup.TryGetFromMemtables(state, key.Span, seq, out var row)
                ? VersionResolver.TrySettle(row, services.Time, out var value)
                    ? new ValueTask<byte[]?>(value)
                    : PointLookup.ResolveAsync(state, tables, key, seq, services.Resolution.NewResolver(), cancellationToken)
                : PointLookup.GetFromTablesAsync(state, tables, key, seq, services.Resolution, cancellationToken);
            return found.IsCompletedSuccessfully ? found : MapStoreErrorsAsync(found, services.DbPath);
        }
        catch (ObjectStoreException e)
        {
            return ValueTask.FromException<byte[]?>(StoreErrors.ToDbError(services.DbPath, "a get", e));
        }

        static async ValueTask<byte[]?> MapStoreErrorsAsync(ValueTask<byte[]?> found, string dbPath)
        {
            try
            {
                return await found.ConfigureAwait(false);
            }
            catch (ObjectStoreException e)
            {
                throw StoreErrors.ToDbError(dbPath, "a get", e);
            }
        }
    }

    /// <summary>Checks the keys of a batched get, each as a single get would.</summary>
    public static void ValidateKeys(IReadOnlyList<ReadOnlyMemory<byte>> keys, string paramName)
    {
        ArgumentNullException.ThrowIfNull(keys, paramName);
        for (var i = 0; i < keys.Count; i++)
        {
            Limits.ValidateKey(keys[i].Span, $"{paramName}[{i}]");
        }
    }

    /// <summary>The values of <paramref name="keys"/> at <paramref name="bound"/>, in order (null when absent); a <c>slatedb.get_many</c> span when anyone listens.</summary>
    public static Task<byte[]?[]> GetManyAsync(DbEngine engine, IReadOnlyList<ReadOnlyMemory<byte>> keys, ReadBound bound, CancellationToken cancellationToken)
        => DbTracing.Enabled
            ? DbTracing.RunAsync(
                "slatedb.get_many",
                engine.Services.DbPath,
                null,
                () => GetManyAsync(engine.Services, engine.Lifecycle, engine.State, engine.Tables, keys, bound, cancellationToken),
                (a, values) => a.SetTag("slatedb.keys", values.Length).SetTag("slatedb.found", values.Count(v => v is not null)))
            : GetManyAsync(engine.Services, engine.Lifecycle, engine.State, engine.Tables, keys, bound, cancellationToken);

    /// <summary>As <see cref="GetManyAsync(DbEngine, IReadOnlyList{ReadOnlyMemory{byte}}, ReadBound, CancellationToken)"/>, for any read state (a reader's too).</summary>
    public static async Task<byte[]?[]> GetManyAsync(
        EngineServices services, Lifecycle lifecycle, DbStateHolder state, TableCache tables, IReadOnlyList<ReadOnlyMemory<byte>> keys, ReadBound bound, CancellationToken cancellationToken)
    {
        lifecycle.ThrowIfNotReadable();
        services.Metrics.Get();
        try
        {
            var current = bound.Take(state, out var seq);
            return await BatchLookup.GetManyAsync(current, tables, keys, seq, services.Resolution, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(services.DbPath, "a batched get", e);
        }
    }

    /// <summary>
    /// A scan of <paramref name="range"/> at <paramref name="bound"/>, with the rows <paramref name="overlay"/> creates at
    /// that bound (newest) merged in. The scan pins the read state it starts on (paired with its bound, see
    /// <see cref="ReadBound"/>), so it reads the same sources however long it stays open.
    /// </summary>
    public static DbIterator ScanAsync(DbEngine engine, KeyRange range, ReadBound bound, Func<ulong, IRowIterator>? overlay, CancellationToken cancellationToken)
    {
        engine.Lifecycle.ThrowIfNotReadable();
        engine.Services.Metrics.Scan();
        var lease = engine.Pins.Pin(engine.State, bound, out var seq);
        return new DbIterator(
            new ScanIterator(lease, range, seq, engine.Tables, engine.Lifecycle, engine.Services.Resolution, engine.Services.Settings.ScanReadAheadBytes, cancellationToken, overlay?.Invoke(seq)),
            engine.Services.DbPath,
            DbTracing.Enabled ? DbTracing.StartDetached("slatedb.scan", engine.Services.DbPath) : null);
    }
}
