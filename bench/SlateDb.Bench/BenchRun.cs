using SlateDb.ObjectStore;

namespace SlateDb.Bench;

/// <summary>
/// One workload's database: a fresh path on the chosen store, wrapped in an <see cref="InstrumentedObjectStore"/>
/// so the run can report its object-store requests. Disposing closes the database and deletes what it wrote.
/// </summary>
internal sealed class BenchRun : IAsyncDisposable
{
    private static int s_runs;
    private readonly IDisposable? _tempDirectory;

    private BenchRun(InstrumentedObjectStore store, string path, Db db, IDisposable? tempDirectory)
    {
        Store = store;
        Path = path;
        Db = db;
        _tempDirectory = tempDirectory;
    }

    public InstrumentedObjectStore Store { get; }

    public string Path { get; }

    public Db Db { get; }

    /// <summary>A readable description of where the data lives.</summary>
    public string Where => Store.Uri;

    public static async Task<BenchRun> OpenAsync(BenchOptions options, string label, Action<Settings>? configure = null)
    {
        var (inner, temp) = CreateStore(options.Store);
        var store = new InstrumentedObjectStore(inner);
        var path = $"bench/{label}-{Interlocked.Increment(ref s_runs)}";
        var settings = new Settings { FlushInterval = options.FlushInterval };
        configure?.Invoke(settings);
        var db = await Db.Builder(path, store).WithSettings(settings).WithSeed(options.Seed).BuildAsync();
        return new BenchRun(store, path, db, temp);
    }

    /// <summary>Puts keys [0, <paramref name="num"/>) in batches of 1000 without awaiting durability, then flushes the memtable to L0.</summary>
    public async Task FillToL0Async(KeySource keys, long num)
    {
        var noWait = new WriteOptions { AwaitDurable = false };
        for (long first = 0; first < num; first += 1000)
        {
            using var fill = new WriteBatch();
            for (var i = first; i < Math.Min(num, first + 1000); i++)
            {
                fill.Put(keys.Key(i), keys.Value(i).Span);
            }

            await Db.WriteAsync(fill, noWait);
        }

        await Db.FlushAsync(FlushType.MemTable);
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        if (_tempDirectory is not null)
        {
            _tempDirectory.Dispose();
            return;
        }

        // A store the user named keeps nothing of ours: delete this run's objects.
        var paths = new List<string>();
        await foreach (var meta in Store.ListAsync(Path + "/"))
        {
            paths.Add(meta.Path);
        }

        foreach (var p in paths)
        {
            await Store.DeleteAsync(p);
        }
    }

    private static (IObjectStore Store, IDisposable? Temp) CreateStore(string? spec)
    {
        if (spec == "memory")
        {
            return (new InMemoryObjectStore(), null);
        }

        if (spec is not null && spec.Contains("://", StringComparison.Ordinal))
        {
            // s3://bucket/prefix?endpoint=…, az://container/prefix, file:///dir, memory://name.
            return (ObjectStores.FromUri(spec), null);
        }

        if (spec is not null)
        {
            if (!spec.StartsWith("file:", StringComparison.Ordinal))
            {
                throw new ArgumentException($"--store takes memory, file:<dir> or a store URI (s3://, az://, file:///), not '{spec}'.");
            }

            var dir = System.IO.Path.GetFullPath(spec["file:".Length..]);
            Directory.CreateDirectory(dir);
            return (new LocalFileSystemObjectStore(dir), null);
        }

        var temp = new TempFolder();
        return (new LocalFileSystemObjectStore(temp.FullPath), temp);
    }

    private sealed class TempFolder : IDisposable
    {
        public string FullPath { get; } = Directory.CreateTempSubdirectory("slatedb-bench-").FullName;

        public void Dispose() => Directory.Delete(FullPath, recursive: true);
    }
}
