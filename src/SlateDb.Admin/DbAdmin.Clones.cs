using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Clones;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;

namespace SlateDb.Admin;

public sealed partial class DbAdmin
{
    private const int MaxCopyConcurrency = 64;

    /// <summary>
    /// Creates a clone of the database at <paramref name="parentPath"/> at <paramref name="clonePath"/> in the same main
    /// store: a new database that starts with the parent's state (a checkpoint's, or the current one) and reads the
    /// parent's SSTs in place (nothing is copied but the WAL objects of the pinned replay range). The parent keeps a
    /// permanent checkpoint for the clone. Re-running a finished clone succeeds without writing; re-running an
    /// interrupted one finishes it. Open the clone with <c>Db.Builder(clonePath, store)</c>, adding
    /// <c>.WithWalObjectStore(walStore)</c> when <paramref name="walStore"/> was given.
    /// </summary>
    /// <param name="clonePath">The clone's database path (empty, or an unfinished clone of the same parent).</param>
    /// <param name="parentPath">The parent's database path.</param>
    /// <param name="store">The main object store of both.</param>
    /// <param name="parentCheckpoint">The parent checkpoint to clone; null clones the current state (through a checkpoint that expires after 5 minutes).</param>
    /// <param name="walStore">The clone's separate WAL store (recorded in its manifest); null keeps its WAL in the main store.</param>
    /// <param name="parentWalStore">The parent's separate WAL store, as recorded in its manifest; null when its WAL is in the main store.</param>
    /// <param name="cancellationToken">Cancels the creation; a re-run resumes.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="ArgumentException">A path is invalid, or the clone path is the parent's.</exception>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the parent is missing or an unfinished clone, the
    /// checkpoint is unknown, the clone path holds a different database, or <paramref name="parentWalStore"/> is not the recorded
    /// WAL store; (<see cref="SlateDbErrorKind.Data"/>) the parent's WAL range has a hole (a missing object after an existing one).
    /// The parent is unchanged by every bad-input error.</exception>
    public static Task<CloneResult> CreateCloneAsync(
        string clonePath,
        string parentPath,
        IObjectStore store,
        Guid? parentCheckpoint = null,
        IObjectStore? walStore = null,
        IObjectStore? parentWalStore = null,
        CancellationToken cancellationToken = default)
        => CreateCloneAsync(clonePath, parentPath, store, parentCheckpoint, walStore, parentWalStore, null, cancellationToken);

    /// <summary>
    /// As <see cref="CreateCloneAsync(string, string, IObjectStore, Guid?, IObjectStore?, IObjectStore?, CancellationToken)"/>, with
    /// the clock, seed, logging and copy concurrency of <paramref name="options"/>.
    /// </summary>
    /// <param name="clonePath">The clone's database path.</param>
    /// <param name="parentPath">The parent's database path.</param>
    /// <param name="store">The main object store of both.</param>
    /// <param name="parentCheckpoint">The parent checkpoint to clone; null clones the current state.</param>
    /// <param name="walStore">The clone's separate WAL store; null keeps its WAL in the main store.</param>
    /// <param name="parentWalStore">The parent's separate WAL store; null when its WAL is in the main store.</param>
    /// <param name="options">Clock, seed, logging, concurrency; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the creation; a re-run resumes.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="ArgumentException">A path is invalid, or the clone path is the parent's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="CloneOptions.MaxConcurrency"/> is out of range.</exception>
    /// <exception cref="SlateDbException">See the overload without options.</exception>
    public static async Task<CloneResult> CreateCloneAsync(
        string clonePath,
        string parentPath,
        IObjectStore store,
        Guid? parentCheckpoint,
        IObjectStore? walStore,
        IObjectStore? parentWalStore,
        CloneOptions? options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var services = Services(options);
        var procedure = new CloneProcedure(
            clonePath,
            parentPath,
            Retrying(store, services),
            Separate(walStore, store, services),
            Separate(parentWalStore, store, services),
            services);
        var outcome = await procedure.RunAsync(parentCheckpoint, cancellationToken).ConfigureAwait(false);
        return new CloneResult
        {
            ParentCheckpointId = outcome.SourceCheckpointId,
            FinalCheckpointId = outcome.FinalCheckpointId,
            ManifestId = outcome.ManifestId,
            ReplayAfterWalId = outcome.ReplayAfterWalId,
            NextWalSstId = outcome.NextWalSstId,
            WalObjectsCopied = outcome.WalObjectsCopied,
            WalObjectsSkipped = outcome.WalObjectsSkipped,
            BytesWritten = outcome.BytesWritten,
            AlreadyExisted = outcome.AlreadyDone,
        };
    }

    private static CloneServices Services(CloneOptions? options)
    {
        var concurrency = options?.MaxConcurrency ?? CloneOptions.DefaultMaxConcurrency;
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1, nameof(CloneOptions.MaxConcurrency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(concurrency, MaxCopyConcurrency, nameof(CloneOptions.MaxConcurrency));
        var time = options?.TimeProvider ?? TimeProvider.System;
        var random = new DbRandom(unchecked((ulong)(options?.Seed ?? time.GetUtcNow().UtcTicks)));
        var logger = options?.LoggerFactory?.CreateLogger("SlateDb.Admin") ?? NullLogger.Instance;
        return new CloneServices(time, random, logger, concurrency);
    }

    // A WAL store is separate when given and not the main store itself; separate stores get retries too.
    private static RetryingObjectStore? Separate(IObjectStore? walStore, IObjectStore mainStore, CloneServices services)
        => StoreRetries.SeparateWal(walStore, mainStore, services.Time, services.Random);

    private static RetryingObjectStore Retrying(IObjectStore store, CloneServices services)
        => StoreRetries.Retrying(store, services.Time, services.Random);
}
