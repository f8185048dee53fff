using VersionedManifest = SlateDb.Manifest.Versioned<SlateDb.Manifest.Proto.ManifestData>;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Admin.Tests.Gc;

/// <summary>
/// Databases built object by object (manifests through <see cref="ManifestStore"/>, SST and WAL objects as plain bytes:
/// the collector never reads them) on one in-memory store whose clock only moves when a test advances it.
/// </summary>
internal sealed class GcScenario
{
    /// <param name="separateWal">Whether the WAL objects live in a store of their own (on the same clock).</param>
    public GcScenario(bool separateWal = false)
    {
        Store = new InMemoryObjectStore("memory://gc-main", Time);
        WalStore = separateWal ? new InMemoryObjectStore("memory://gc-wal", Time) : null;
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));

    public InMemoryObjectStore Store { get; }

    public InMemoryObjectStore? WalStore { get; }

    public DbRandom Random { get; } = new(7);

    public DbAdmin Admin(string path) => new(path, Store, WalStore, new DbAdminOptions { TimeProvider = Time, Seed = 3 });

    public ManifestStore Manifests(string path) => new(Store, path, Time);

    /// <summary>Writes an SST object under <paramref name="path"/> with a ULID minted now; returns its handle.</summary>
    public async Task<SstHandle> PutSstAsync(string path, long? timestampMs = null)
    {
        var id = Random.NextUlid(timestampMs ?? Time.GetUtcNow().ToUnixTimeMilliseconds());
        await Store.PutAsync(new DbPaths(path).CompactedSstPath(id), new byte[100], PutMode.Create);
        return new SstHandle
        {
            Id = SstId.FromUlid(id),
            FirstKey = ByteString.CopyFromUtf8("a"),
            LastKey = ByteString.CopyFromUtf8("z"),
            Size = 100,
        };
    }

    /// <summary>Writes WAL object <paramref name="id"/>: a WAL SST of 200 bytes, or a fence.</summary>
    public Task PutWalAsync(string path, ulong id, bool fence = false)
        => (WalStore ?? Store).PutAsync(new DbPaths(path).WalSstPath(id), fence ? WalFenceObject.Encode(1) : new byte[200], PutMode.Create);

    /// <summary>Applies <paramref name="change"/> to the latest manifest (or a new database's first) and writes it as the next id.</summary>
    public async Task<VersionedManifest> WriteAsync(string path, Action<VersionedManifest> change)
    {
        var manifests = Manifests(path);
        if (await manifests.TryReadLatestAsync() is null)
        {
            var initial = ManifestDefaults.NewDatabase();
            change(new VersionedManifest(0, initial));
            return await manifests.CreateOrReadLatestAsync(initial);
        }

        return await manifests.UpdateAsync(v =>
        {
            change(v);
            return v.Value;
        });
    }

    public Task<VersionedManifest> WriteAsync(string path, Action<ManifestData> change) => WriteAsync(path, v => change(v.Value));

    /// <summary>Adds a checkpoint pinning the manifest being written (or <paramref name="pinned"/>).</summary>
    public Task<VersionedManifest> CheckpointAsync(string path, Guid id, TimeSpan? lifetime, ulong? pinned = null)
        => WriteAsync(path, (VersionedManifest v) =>
        {
            var entry = new Checkpoint { Id = Uuid.FromGuid(id), ManifestId = pinned ?? v.Id + 1, CreateTimeS = Time.GetUtcNow().ToUnixTimeSeconds() };
            if (lifetime is { } l)
            {
                entry.ExpireTimeS = (Time.GetUtcNow() + l).ToUnixTimeSeconds();
            }

            v.Value.Checkpoints.Add(entry);
        });

    public async Task<bool> ExistsAsync(string path)
    {
        try
        {
            await Store.HeadAsync(path);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }

    public async Task<List<string>> ListAsync(string prefix, InMemoryObjectStore? store = null)
    {
        var found = new List<string>();
        await foreach (var meta in (store ?? Store).ListAsync(prefix))
        {
            found.Add(meta.Path);
        }

        return found;
    }

    /// <summary>Every object of every database, for "nothing changed" checks.</summary>
    public async Task<List<string>> EverythingAsync()
    {
        var all = await ListAsync("");
        if (WalStore is not null)
        {
            all.AddRange(await ListAsync("", WalStore));
        }

        return all;
    }

    public static string SstPath(string db, SstHandle handle) => new DbPaths(db).CompactedSstPath(handle.Id.ToUlid());
}
