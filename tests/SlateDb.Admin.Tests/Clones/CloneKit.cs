using System.Text;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Admin.Tests.Clones;

/// <summary>Databases, stores and read-backs for the clone and copy tests.</summary>
internal static class CloneKit
{
    public const string Parent = "parent";

    public const string Clone = "clone";

    public static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    /// <summary>A clock that moves only when a test advances it, so WAL objects appear only on explicit flushes.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static CloneOptions Options(TimeProvider time, long seed = 7, int concurrency = 4)
        => new() { TimeProvider = time, Seed = seed, MaxConcurrency = concurrency };

    public static Task<SlateDb.Db> OpenAsync(string path, IObjectStore store, IObjectStore? walStore, TimeProvider time, long seed = 1)
    {
        var builder = SlateDb.Db.Builder(path, store)
            .WithSettings(new Settings { ManifestPollInterval = TimeSpan.FromHours(1) })
            .WithTimeProvider(time)
            .WithSeed(seed);
        if (walStore is not null)
        {
            builder.WithWalObjectStore(walStore);
        }

        return builder.BuildAsync();
    }

    public static byte[] K(int i) => Encoding.UTF8.GetBytes($"key-{i:D5}");

    public static byte[] V(int i, int version = 1) => Encoding.UTF8.GetBytes($"value-{i}-v{version}");

    /// <summary>Puts keys [from, to) at <paramref name="version"/>, each batch of 10 in its own WAL object.</summary>
    public static async Task PutRangeAsync(SlateDb.Db db, int from, int to, int version, SortedDictionary<string, string>? expected = null)
    {
        for (var i = from; i < to; i++)
        {
            await db.PutAsync(K(i), V(i, version), NoWait);
            expected?[Encoding.UTF8.GetString(K(i))] = Encoding.UTF8.GetString(V(i, version));
            if ((i - from) % 10 == 9)
            {
                await db.FlushAsync();
            }
        }

        await db.FlushAsync();
    }

    /// <summary>Every key and value the database holds, as text.</summary>
    public static async Task<SortedDictionary<string, string>> ReadAllAsync(SlateDb.Db db)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            all.Add(Encoding.UTF8.GetString(kv.Key.Span), Encoding.UTF8.GetString(kv.Value.Span));
        }

        return all;
    }

    /// <summary>Opens, reads everything and closes.</summary>
    public static async Task<SortedDictionary<string, string>> ReadDbAsync(string path, IObjectStore store, IObjectStore? walStore, TimeProvider time, long seed = 99)
    {
        await using var db = await OpenAsync(path, store, walStore, time, seed);
        return await ReadAllAsync(db);
    }

    public static async Task<List<ObjectMeta>> ListAsync(IObjectStore store, string prefix)
    {
        var found = new List<ObjectMeta>();
        await foreach (var meta in store.ListAsync(prefix))
        {
            found.Add(meta);
        }

        return found;
    }

    /// <summary>The WAL ids of <paramref name="path"/> in <paramref name="walStore"/>, ascending.</summary>
    public static async Task<List<ulong>> WalIdsAsync(IObjectStore walStore, string path)
    {
        var paths = new DbPaths(path);
        var ids = new List<ulong>();
        foreach (var meta in await ListAsync(walStore, paths.WalPrefix))
        {
            if (paths.TryParseWalId(meta.Path, out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    public static async Task DeleteAllAsync(IObjectStore store)
    {
        foreach (var meta in await ListAsync(store, ""))
        {
            await store.DeleteAsync(meta.Path);
        }
    }

    /// <summary>Copies every object of <paramref name="from"/> into <paramref name="to"/> (a snapshot of a store).</summary>
    public static async Task CopyAllAsync(IObjectStore from, IObjectStore to)
    {
        foreach (var meta in await ListAsync(from, ""))
        {
            await to.PutAsync(meta.Path, (await from.GetAsync(meta.Path)).Bytes, PutMode.Overwrite);
        }
    }

    public static async Task<Versioned<ManifestData>> LatestAsync(IObjectStore store, string path)
        => await new ManifestStore(store, path).TryReadLatestAsync() ?? throw new InvalidOperationException($"'{path}' has no manifest.");

    public static async Task<ManifestData> ManifestAsync(IObjectStore store, string path, ulong id)
        => (await new ManifestStore(store, path).ReadAsync(id)).Value;

    /// <summary>
    /// A database at <see cref="Parent"/> with a separate WAL store, as a writer that crashed left it: two L0 SSTs and
    /// three WAL objects of data not yet in L0 (the stores are a snapshot taken while the writer was open).
    /// </summary>
    public static async Task<(InMemoryObjectStore Store, InMemoryObjectStore Wal, SortedDictionary<string, string> Expected)> CrashedSourceAsync(
        TimeProvider time, string walUri = "memory://source-wal")
    {
        var (store, wal) = (new InMemoryObjectStore(), new InMemoryObjectStore(walUri));
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var db = await OpenAsync(Parent, store, wal, time);
        await PutRangeAsync(db, 0, 30, 1, expected);
        await db.FlushAsync(FlushType.MemTable);
        await PutRangeAsync(db, 10, 20, 2, expected);
        await db.FlushAsync(FlushType.MemTable);
        await PutRangeAsync(db, 25, 55, 3, expected);
        var (snapshot, walSnapshot) = (new InMemoryObjectStore(), new InMemoryObjectStore(walUri));
        await CopyAllAsync(store, snapshot);
        await CopyAllAsync(wal, walSnapshot);
        await db.CloseAsync();
        return (snapshot, walSnapshot, expected);
    }

    /// <summary>
    /// Crashes store <paramref name="crashing"/> of fresh stores at call 1, 2, ... of <paramref name="run"/> (which gets
    /// fault-injecting wrappers and the call number), then lets <paramref name="rerunAndCheck"/> re-run on the plain
    /// stores and check the outcome, until a run completes without reaching the crash. Fails when no call crashed.
    /// </summary>
    /// <param name="freshStores">The stores a run starts from (the same content each time).</param>
    /// <param name="crashing">The index of the store that crashes.</param>
    /// <param name="afterApplying">Whether the crashing call takes effect first.</param>
    /// <param name="run">The operation under test.</param>
    /// <param name="rerunAndCheck">The re-run and its checks.</param>
    public static async Task CrashAtEveryCallAsync(
        Func<Task<InMemoryObjectStore[]>> freshStores,
        int crashing,
        bool afterApplying,
        Func<IObjectStore[], long, Task> run,
        Func<InMemoryObjectStore[], long, Task> rerunAndCheck)
    {
        var crashes = 0;
        for (var call = 1L; ; call++)
        {
            var stores = await freshStores();
            var faulty = stores.Select((s, i) => new FaultInjectingObjectStore(s, seed: i)).ToArray();
            faulty[crashing].CrashAtCall(call, afterApplying);
            try
            {
                await run(faulty, call);
            }
            catch (SimulatedCrashException)
            {
            }

            await rerunAndCheck(stores, call);
            if (!faulty[crashing].IsCrashed)
            {
                break;
            }

            crashes++;
        }

        Xunit.Assert.True(crashes > 0, "no call crashed");
    }
}
