using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;

namespace SlateDb.Simulation.Tests;

/// <summary>Settings and openers shared by the acceptance tests.</summary>
internal static class TestDb
{
    public static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    public static readonly ReadOptions Remote = new() { DurabilityFilter = DurabilityLevel.Remote };

    /// <summary>Tiny L0 SSTs and blocks, so a few kilobytes of writes make several multi-block L0 SSTs.</summary>
    public static Settings SmallTables(int seed = 0) => new()
    {
        L0SstSizeBytes = 4096,
        BlockSize = 1024,
        MinFilterKeys = 4,
        Compression = seed % 2 == 0 ? CompressionCodec.None : CompressionCodec.Zstd,
    };

    /// <summary>A fake clock at a fixed start; it moves only when a test advances it.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// Opens <paramref name="path"/> on <paramref name="store"/> with a fake clock, so only explicit flushes
    /// (or a test advancing the clock) write WAL objects.
    /// </summary>
    public static Task<Db> OpenAsync(
        string path,
        IObjectStore store,
        IObjectStore? walStore = null,
        Settings? settings = null,
        TimeProvider? time = null,
        long seed = 1)
    {
        var builder = Db.Builder(path, store)
            .WithSettings(settings ?? new Settings())
            .WithTimeProvider(time ?? Clock())
            .WithSeed(seed);
        if (walStore is not null)
        {
            builder = builder.WithWalObjectStore(walStore);
        }

        return builder.BuildAsync();
    }

    public static byte[] Key(int i) => System.Text.Encoding.UTF8.GetBytes($"key-{i:D4}");

    public static byte[] Value(int i, int version = 1) => System.Text.Encoding.UTF8.GetBytes($"value-{i}-v{version}");

    /// <summary>Every object path in <paramref name="store"/>.</summary>
    public static async Task<List<string>> ListAllAsync(IObjectStore store)
    {
        var paths = new List<string>();
        await foreach (var meta in store.ListAsync(""))
        {
            paths.Add(meta.Path);
        }

        return paths;
    }
}
