using System.Text;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Admin.Tests;

/// <summary>Openers, keys and store helpers for the admin tests.</summary>
internal static class AdminKit
{
    public const string DbPath = "db";

    public static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    public static readonly DbPaths Paths = new(DbPath);

    /// <summary>A clock that moves only when a test advances it, so WAL objects appear only on explicit flushes.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static Task<SlateDb.Db> OpenAsync(IObjectStore store, TimeProvider time, IObjectStore? walStore = null, string path = DbPath)
    {
        var builder = SlateDb.Db.Builder(path, store)
            .WithSettings(new Settings { ManifestPollInterval = TimeSpan.FromHours(1) })
            .WithTimeProvider(time)
            .WithSeed(1);
        if (walStore is not null)
        {
            builder.WithWalObjectStore(walStore);
        }

        return builder.BuildAsync();
    }

    /// <summary>A database a writer created (opened and closed without writes), and its clock.</summary>
    public static async Task<(InMemoryObjectStore Store, FakeTimeProvider Time)> CreatedAsync()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await (await OpenAsync(store, time)).CloseAsync();
        return (store, time);
    }

    public static DbAdmin AdminOf(IObjectStore store, TimeProvider time, IObjectStore? walStore = null, string path = DbPath)
        => new(path, store, walStore, new DbAdminOptions { TimeProvider = time, Seed = 7 });

    public static byte[] K(int i) => Encoding.UTF8.GetBytes($"key-{i:D5}");

    public static byte[] V(int i) => Encoding.UTF8.GetBytes($"value-{i}");

    /// <summary>Puts key <paramref name="i"/> and makes it durable in a WAL object (no L0 flush).</summary>
    public static async Task PutToWalAsync(SlateDb.Db db, int i)
    {
        await db.PutAsync(K(i), V(i), NoWait);
        await db.FlushAsync();
    }

    /// <summary>The WAL objects (id, size) of the test database, in id order.</summary>
    public static async Task<List<(ulong Id, long Size)>> WalObjectsAsync(IObjectStore store)
    {
        var found = new List<(ulong, long)>();
        await foreach (var meta in store.ListAsync(Paths.WalPrefix))
        {
            if (Paths.TryParseWalId(meta.Path, out var id))
            {
                found.Add((id, meta.Size));
            }
        }

        return found;
    }

    public static async Task<Versioned<ManifestData>> LatestAsync(IObjectStore store, string path = DbPath)
        => await new ManifestStore(store, path).TryReadLatestAsync() ?? throw new InvalidOperationException("No manifest.");

    /// <summary>Flips one bit of the byte at <paramref name="offset"/> of object <paramref name="path"/> (its size is unchanged).</summary>
    public static async Task FlipByteAsync(IObjectStore store, string path, int offset)
    {
        var bytes = (await store.GetAsync(path)).Bytes.ToArray();
        bytes[offset] ^= 0x10;
        await store.PutAsync(path, bytes, PutMode.Overwrite);
    }
}

/// <summary>Collects progress reports synchronously, in the order they are made.</summary>
internal sealed class ProgressLog<T> : IProgress<T>
{
    private readonly object _gate = new();
    private readonly List<T> _reports = [];

    public IReadOnlyList<T> Reports
    {
        get
        {
            lock (_gate)
            {
                return [.. _reports];
            }
        }
    }

    public void Report(T value)
    {
        lock (_gate)
        {
            _reports.Add(value);
        }
    }
}
