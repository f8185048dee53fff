using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Cdc;
using SlateDb.Engine;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb;

/// <summary>
/// Change data capture: reads a database's WAL objects as the writer stored them, one <see cref="ChangeBatch"/> per
/// object, and follows the WAL as the writer adds to it. It reads only (the manifest and the WAL), never fences the writer
/// and keeps no checkpoint. Thread-safe; each <see cref="ReadChangesAsync"/> enumeration is independent.
/// </summary>
/// <remarks>
/// <para>
/// Every durable write reaches the WAL before anything else, so the feed holds every write in order: puts, deletes and
/// merge operands (not applied), with their sequence numbers and timestamps. WAL fence objects (what a writer stores when
/// it opens) hold no data: their rows are never decoded, they give a batch with no rows (<see cref="ChangeBatch.IsFence"/>)
/// so the cursor moves past them.
/// </para>
/// <para>
/// Delivery is at least once when the consumer persists <see cref="ChangeBatch.Cursor"/> after applying each batch and
/// resumes from the persisted cursor: a crash between applying and persisting delivers that batch again, nothing is skipped.
/// </para>
/// <para>
/// Garbage collection deletes WAL objects once their rows are in L0 and they are older than its <c>MinAge</c>. A feed
/// that falls further behind finds the next object missing and fails with <see cref="WalTruncatedException"/>; it never
/// skips it. The consumer must then rebuild its copy from a checkpoint (see <see cref="WalTruncatedException"/>).
/// </para>
/// </remarks>
public sealed class WalReader
{
    private readonly DbPaths _paths;
    private readonly IObjectStore _walStore;
    private readonly ManifestStore _manifests;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private WalReader(DbPaths paths, IObjectStore walStore, ManifestStore manifests, TimeSpan pollInterval, TimeProvider time, ILogger logger)
    {
        _paths = paths;
        _walStore = walStore;
        _manifests = manifests;
        PollInterval = pollInterval;
        _time = time;
        _logger = logger;
        WaitAtTail = (interval, ct) => Task.Delay(interval, _time, ct);
    }

    /// <summary>The database's path inside the store.</summary>
    public string Path => _paths.Root;

    /// <summary>The URI of the store the WAL objects are read from (the main store unless the database keeps its WAL separately).</summary>
    public string WalStoreUri => _walStore.Uri;

    /// <summary>How long a following feed waits at the tail before it looks for new WAL objects again.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>How a following feed waits at the tail (tests replace it to step the feed).</summary>
    internal Func<TimeSpan, CancellationToken, Task> WaitAtTail { get; set; }

    /// <summary>Opens the WAL of the database at <paramref name="path"/> in <paramref name="store"/> for reading.</summary>
    /// <param name="path">The database's path inside the store.</param>
    /// <param name="store">The database's main object store (its manifest is read from it).</param>
    /// <param name="options">The WAL store and polling; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="ArgumentException">The path is not a valid database path.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="WalReaderOptions.PollInterval"/> is not positive.</exception>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) there is no database at the path, or the
    /// WAL store does not match the one the manifest records; (<see cref="SlateDbErrorKind.Unavailable"/>) the store failed.</exception>
    public static async Task<WalReader> OpenAsync(string path, IObjectStore store, WalReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(store);
        DbPaths.ValidateDbPath(path, nameof(path));
        options ??= new WalReaderOptions();
        if (options.PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.PollInterval, $"{nameof(WalReaderOptions)}.{nameof(WalReaderOptions.PollInterval)} is {options.PollInterval}; it must be positive.");
        }

        var time = options.TimeProvider ?? TimeProvider.System;
        var random = new DbRandom(unchecked((ulong)(options.Seed ?? time.GetUtcNow().UtcTicks)));
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SlateDb.WalReader");
        var manifests = new ManifestStore(StoreRetries.Retrying(store, time, random), path, time);
        try
        {
            var latest = await manifests.TryReadLatestAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new SlateDbException(
                    SlateDbErrorKind.Invalid,
                    $"There is no database at '{path}' in the object store '{store.Uri}': it has no manifest (nothing under '{manifests.Paths.ManifestPrefix}').");
            var walStore = ResolveWalStore(latest.Value, manifests.Paths, store, options.WalObjectStore, time, random);
            return new WalReader(manifests.Paths, walStore, manifests, options.PollInterval, time, logger);
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(path, "opening the WAL reader", e);
        }
    }

    /// <summary>The WAL objects with ids above <paramref name="afterWalId"/> present now, in id order.</summary>
    /// <exception cref="SlateDbException">The store failed (<see cref="SlateDbErrorKind.Unavailable"/>).</exception>
    public async Task<IReadOnlyList<WalObject>> ListAsync(ulong afterWalId = 0, CancellationToken cancellationToken = default)
    {
        try
        {
            var listed = await WalFence.ListAsync(_walStore, _paths, afterWalId, cancellationToken).ConfigureAwait(false);
            return listed.ConvertAll(static o => new WalObject(o.Id, o.Size, o.Size == WalFenceObject.Length));
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(_paths.Root, "listing the WAL", e);
        }
    }

    /// <summary>The rows of WAL object <paramref name="walId"/> (none for a fence), verified whole.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="walId"/> is 0 (WAL ids start at 1).</exception>
    /// <exception cref="WalTruncatedException">The object is missing although the manifest records it as written.</exception>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the WAL does not reach the id; the store failed.</exception>
    /// <exception cref="CorruptionException">The object failed verification.</exception>
    /// <exception cref="NotSupportedException">A row has a kind the change feed does not read.</exception>
    public async Task<ChangeBatch> ReadAsync(ulong walId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(walId);
        var path = _paths.WalSstPath(walId);
        try
        {
            var data = await _walStore.GetAsync(path, null, cancellationToken).ConfigureAwait(false);
            return (await WalObjectDecoder.DecodeAsync(walId, data.Bytes, path, new ChangeCursor(walId - 1, 0)).ConfigureAwait(false)).Batch;
        }
        catch (ObjectNotFoundException e)
        {
            var manifest = await _manifests.TryReadLatestAsync(cancellationToken).ConfigureAwait(false);
            if (manifest is not null && walId < manifest.Value.NextWalSstId)
            {
                throw new WalTruncatedException(
                    walId,
                    new ChangeCursor(walId - 1, 0),
                    path,
                    $"missing from the WAL store '{_walStore.Uri}' while manifest {manifest.Id} records WAL ids up to {manifest.Value.NextWalSstId - 1} as written",
                    e);
            }

            throw new SlateDbException(SlateDbErrorKind.Invalid, $"'{_paths.Root}' has no WAL object {walId} in '{_walStore.Uri}': the WAL does not reach it (yet).", e);
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(_paths.Root, $"reading WAL object {walId}", e);
        }
    }

    /// <summary>
    /// The change feed: one batch per WAL object after <paramref name="from"/>, in WAL id order. With
    /// <paramref name="follow"/> it waits at the tail (polling every <see cref="PollInterval"/>) until cancelled; without,
    /// it ends at the tail.
    /// </summary>
    /// <param name="from">Where to start: <see cref="ChangeCursor.Beginning"/> (the oldest WAL object present) or a
    /// cursor a consumer persisted; rows at or below its seq are left out.</param>
    /// <param name="follow">Whether to wait at the tail for new WAL objects.</param>
    /// <param name="cancellationToken">Ends the feed: a cancelled enumeration throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="WalTruncatedException">The next WAL object was written and is gone (garbage collection ran ahead of the feed).</exception>
    /// <exception cref="CorruptionException">A WAL object failed verification.</exception>
    /// <exception cref="NotSupportedException">A row has a kind the change feed does not read.</exception>
    /// <exception cref="SlateDbException">The store failed (<see cref="SlateDbErrorKind.Unavailable"/>).</exception>
    public async IAsyncEnumerable<ChangeBatch> ReadChangesAsync(
        ChangeCursor from, bool follow = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var feed = new ChangeFeed(_walStore, _manifests, from);
        Log.ChangeFeedStarted(_logger, _paths.Root, from.ToString(), _walStore.Uri, follow);
        try
        {
            while (true)
            {
                var batch = await NextAsync(feed, cancellationToken).ConfigureAwait(false);
                if (batch is not null)
                {
                    yield return batch;
                    continue;
                }

                Log.ChangeFeedAtTail(_logger, _paths.Root, feed.Cursor.ToString());
                if (!follow)
                {
                    yield break;
                }

                await WaitAtTail(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            feed.Abandon();
        }
    }

    // One step of the feed, its store errors mapped at this boundary.
    private async Task<ChangeBatch?> NextAsync(ChangeFeed feed, CancellationToken cancellationToken)
    {
        try
        {
            return await feed.NextAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (WalTruncatedException e)
        {
            Log.ChangeFeedTruncated(_logger, _paths.Root, e.Cursor.ToString(), e.MissingWalId);
            throw;
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(_paths.Root, $"reading the WAL after change cursor {feed.Cursor}", e);
        }
    }

    // The WAL store rule of a writer's open, for a reader: the WAL is where the manifest says; when the caller gives no
    // WAL store and the manifest records one, the recorded URI is opened.
    private static RetryingObjectStore ResolveWalStore(
        Manifest.Proto.ManifestData manifest, DbPaths paths, IObjectStore mainStore, IObjectStore? configured, TimeProvider time, DbRandom random)
    {
        var separate = StoreRetries.SeparateWal(configured, mainStore, time, random);
        if (configured is null && manifest.HasWalObjectStoreUri)
        {
            if (manifest.WalObjectStoreUri.StartsWith("memory:", StringComparison.OrdinalIgnoreCase))
            {
                // memory:// names a new, empty store: opening it would read an empty WAL instead of the database's.
                throw new SlateDbException(
                    SlateDbErrorKind.Invalid,
                    $"'{paths.Root}' keeps its WAL in the in-memory object store '{manifest.WalObjectStoreUri}' (recorded in its manifest), which " +
                    $"cannot be opened from its URI; pass that store as {nameof(WalReaderOptions)}.{nameof(WalReaderOptions.WalObjectStore)}.");
            }

            try
            {
                return StoreRetries.Retrying(ObjectStores.FromUri(manifest.WalObjectStoreUri), time, random);
            }
            catch (ArgumentException e)
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Invalid,
                    $"'{paths.Root}' keeps its WAL in the object store '{manifest.WalObjectStoreUri}' (recorded in its manifest), which could not be " +
                    $"opened from its URI ({e.Message}); pass the store as {nameof(WalReaderOptions)}.{nameof(WalReaderOptions.WalObjectStore)}.",
                    e);
            }
        }

        if (WalStoreCheck.CheckRecorded(manifest, paths, separate?.Uri) is null && separate is not null)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"'{paths.Root}' keeps its WAL in its main store '{mainStore.Uri}' (its manifest records no WAL object store), but the WAL reader " +
                $"was opened with the WAL object store '{separate.Uri}'; open it without {nameof(WalReaderOptions.WalObjectStore)}.");
        }

        return separate ?? StoreRetries.Retrying(mainStore, time, random);
    }
}
