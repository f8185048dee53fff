using SlateDb.ObjectStore;

namespace SlateDb.Bench.Compare;

/// <summary>SlateDb on any object store (local files by default), default settings plus the block-cache budget.</summary>
internal sealed class SlateDbEngine : ICompareEngine
{
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };
    private readonly Db _db;
    private LocalFileSystemObjectStore? _ownedStore;

    private SlateDbEngine(Db db, InstrumentedObjectStore store, string path)
    {
        _db = db;
        Store = store;
        Path = path;
    }

    /// <summary>The store as the database sees it, counting its requests.</summary>
    public InstrumentedObjectStore Store { get; }

    /// <summary>The database's path in <see cref="Store"/>.</summary>
    public string Path { get; }

    /// <summary>
    /// SlateDb on local files in the folder it is given, or, with <paramref name="storeUri"/>, on that store under a
    /// path named after the folder (see <see cref="ObjectStores.FromUri(string)"/> for the URI forms).
    /// </summary>
    public static EngineKind Kind(string? storeUri)
    {
        if (storeUri is null)
        {
            return new EngineKind(
                "SlateDb",
                async (dir, o, _) =>
                {
                    var local = new LocalFileSystemObjectStore(dir);
                    var engine = await OpenAsync(local, "db", o, TimeProvider.System);
                    engine._ownedStore = local;   // its open files are closed with the engine
                    return engine;
                },
                "default settings, block cache = --cache-mb, local-file store");
        }

        var store = ObjectStores.FromUri(storeUri);
        return new EngineKind(
            "SlateDb",
            async (dir, o, _) => await OpenAsync(store, RemotePath(dir), o, TimeProvider.System),
            $"default settings, block cache = --cache-mb, store {store.Uri}");
    }

    /// <summary>The database path on a named store for a bench folder: unique per run, deleted by the caller.</summary>
    public static string RemotePath(string dir)
        => "bench-compare/" + System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(dir))) + "/" +
           System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(dir)) + "/" + System.IO.Path.GetFileName(dir);

    /// <summary>Opens the database at <paramref name="path"/> of <paramref name="store"/>.</summary>
    public static async ValueTask<SlateDbEngine> OpenAsync(IObjectStore store, string path, CompareOptions o, TimeProvider time)
    {
        var instrumented = store as InstrumentedObjectStore ?? new InstrumentedObjectStore(store);
        var settings = new Settings { BlockCacheBytes = o.CacheBytes };
        var db = await Db.Builder(path, instrumented).WithSettings(settings).WithTimeProvider(time).WithSeed(o.Seed).BuildAsync();
        return new SlateDbEngine(db, instrumented, path);
    }

    public async ValueTask WriteAsync(byte[][] keys, ReadOnlyMemory<byte>[] values, int count)
    {
        if (count == 1)
        {
            await _db.PutAsync(keys[0], values[0], NoWait);
            return;
        }

        using var batch = new WriteBatch();
        for (var i = 0; i < count; i++)
        {
            batch.Put(keys[i], values[i].Span);
        }

        await _db.WriteAsync(batch, NoWait);
    }

    public async ValueTask PutDurableAsync(byte[] key, ReadOnlyMemory<byte> value) => await _db.PutAsync(key, value);

    public async ValueTask<bool> GetAsync(byte[] key) => await _db.GetAsync(key) is not null;

    // Rows are read in place (DbIterator.MoveNextAsync and Current), as RocksDB's are through GetKeySpan and
    // GetValueSpan: the workload looks at each row and keeps none.
    public async ValueTask<long> ScanAsync(byte[]? start, long limit)
    {
        long rows = 0;
        await using var scan = _db.ScanAsync(start is null ? KeyRange.All : KeyRange.From(start));
        while (rows < limit && await scan.MoveNextAsync())
        {
            _ = scan.Current.Key;
            _ = scan.Current.Value;
            rows++;
        }

        return rows;
    }

    public async ValueTask FlushAsync() => await _db.FlushAsync(FlushType.MemTable);

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        _ownedStore?.Dispose();
    }
}
