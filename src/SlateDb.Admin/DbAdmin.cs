using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;

namespace SlateDb.Admin;

/// <summary>
/// Administration of one database by path, without opening it as a writer: manifests, detached checkpoints, clones,
/// copies, garbage collection and verification. Safe to use while a writer has the database open: every manifest change
/// is a conditional write of the next manifest, so it never overwrites the writer's changes.
/// </summary>
public sealed partial class DbAdmin
{
    /// <summary>Administers the database at <paramref name="path"/> in <paramref name="store"/>.</summary>
    /// <param name="path">The database path inside the store.</param>
    /// <param name="store">The main object store.</param>
    /// <param name="walStore">The WAL object store when it is separate; null when the WAL lives in the main store.</param>
    /// <param name="options">Clock, seed and logging; defaults when null.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is not a valid database path.</exception>
    public DbAdmin(string path, IObjectStore store, IObjectStore? walStore = null, DbAdminOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Paths = new DbPaths(path);
        Time = options?.TimeProvider ?? TimeProvider.System;
        Random = new DbRandom(unchecked((ulong)(options?.Seed ?? Time.GetUtcNow().UtcTicks)));
        Logger = options?.LoggerFactory?.CreateLogger("SlateDb.Admin") ?? NullLogger.Instance;
        Store = StoreRetries.Retrying(store, Time, Random);
        SeparateWalStore = StoreRetries.SeparateWal(walStore, store, Time, Random);
        Manifests = new ManifestStore(Store, Paths.Root, Time);
    }

    /// <summary>The database path.</summary>
    public string Path => Paths.Root;

    /// <summary>The database's object names.</summary>
    internal DbPaths Paths { get; }

    /// <summary>The main store (with retries).</summary>
    internal IObjectStore Store { get; }

    /// <summary>The separate WAL store (with retries), or null when the WAL lives in the main store.</summary>
    internal IObjectStore? SeparateWalStore { get; }

    /// <summary>Where the WAL objects are: the separate WAL store, else the main store.</summary>
    internal IObjectStore WalStore => SeparateWalStore ?? Store;

    /// <summary>The manifests of the database.</summary>
    internal ManifestStore Manifests { get; }

    /// <summary>The clock.</summary>
    internal TimeProvider Time { get; }

    /// <summary>Seeded randomness.</summary>
    internal DbRandom Random { get; }

    /// <summary>The admin's logger.</summary>
    internal ILogger Logger { get; }
}
