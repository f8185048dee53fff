using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Cache;
using SlateDb.Checkpoints;
using SlateDb.Engine;
using SlateDb.Gc;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Read;
using SlateDb.Wal;

namespace SlateDb.Reader;

// A read-only view of a database: the manifest's L0 and sorted runs, plus memtables replayed from the WAL objects after
// them. It never writes WAL objects and never claims an epoch; a following view writes only its own checkpoint.
//
// Invariants
//  1. Only durable data is visible: L0 and sorted runs of a manifest, and rows of stored WAL objects, each batch whole.
//  2. A following view reads only what a checkpoint of its own pins: whenever the manifest's SSTs change, one manifest
//     update replaces its checkpoint with one pinning the version that update writes, and the view moves to that
//     version (ReaderCheckpoint). The WAL it tails lies above the pinned replay_after_wal_id, which GC keeps.
//  3. Refreshes run one at a time (the poll, RefreshAsync, promotion); the manifest and the WAL position move only
//     forward: the WAL is tailed from max(last id replayed, replay_after_wal_id), and a missing object is its current end.
//  4. A pinned view (CheckpointId) reads the checkpoint's manifest and the WAL objects it names, once, and never moves;
//     a WAL object that manifest names and the store lacks is a CorruptionException.
//  5. Promotion stops the view, then opens a writer through DbOpener with the view's memtables and SST cache
//     (WarmStart); the view keeps its checkpoint until the writer is open, so nothing it read can be collected before.
//
// Outline
//   open → read latest → [pinned: read the checkpoint's manifest → build → replay up to next_wal_sst_id]
//                        [following: pin (checkpoint CAS) → build → tail → start the poller]
//   poll / RefreshAsync → lock → refresh the manifest → re-pin if its SSTs changed (or the checkpoint is due) → rebuild
//                       → LIST wal/ after the tail → replay the dense run of ids → unlock

/// <summary>The machinery behind <see cref="DbReader"/>.</summary>
[SuppressMessage("Reliability", "CA1001", Justification = "The semaphore is only awaited and the token source has no timer; neither holds unmanaged resources.")]
internal sealed class ReaderEngine
{
    private readonly DbReaderOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly DbPaths _paths;
    private readonly RetryingObjectStore _mainStore;
    private readonly RetryingObjectStore? _separateWal;
    private readonly ManifestStore _manifestStore;
    private readonly ReaderMemtables _memtables;
    private readonly WalReplayer _replayer;
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly Lock _closeLock = new();
    private ReaderCheckpoint? _checkpoint;
    private CancellationTokenSource _stop = new();
    private Task _poller = Task.CompletedTask;
    private Task? _closeTask;
    private VersionedManifest _view;

    private ReaderEngine(DbReaderOptions options, string path, IObjectStore store, VersionedManifest view, ManifestStore manifestStore, EngineServices services)
    {
        _options = options;
        _loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _paths = manifestStore.Paths;
        _mainStore = (RetryingObjectStore)manifestStore.ObjectStore;
        _separateWal = StoreRetries.SeparateWal(options.WalObjectStore, store, services.Time, services.Random);
        _manifestStore = manifestStore;
        _view = view;
        Services = services;
        Lifecycle = new Lifecycle(path);
        Tables = new TableCache(_mainStore, services.Settings.BlockCacheBytes > 0 ? new BlockCache(services.Settings.BlockCacheBytes) : null);
        State = new DbStateHolder(new DbState(
            new Memtables.Memtable(), [], ManifestViews.L0(view.Value, _paths), ManifestViews.SortedRuns(view.Value, _paths)));
        _memtables = new ReaderMemtables(State, services.Settings.L0SstSizeBytes);
        _memtables.SkipTo(view.Value.ReplayAfterWalId);
        _replayer = new WalReplayer(WalStore, _paths, services, null, _memtables, static _ => default);
    }

    public EngineServices Services { get; }

    public Lifecycle Lifecycle { get; }

    public DbStateHolder State { get; }

    public TableCache Tables { get; }

    /// <summary>The snapshots open scans iterate (a promoted writer's collector is not told of them: the reader is closed by then).</summary>
    public SnapshotPins Pins { get; } = new();

    /// <summary>Whether the view is pinned to a checkpoint.</summary>
    public bool IsPinned => _options.CheckpointId is not null;

    /// <summary>The manifest the view reads.</summary>
    public VersionedManifest View => Volatile.Read(ref _view);

    /// <summary>The last WAL id replayed.</summary>
    public ulong ThroughWalId => _memtables.ThroughWalId;

    /// <summary>The id of the checkpoint a following view keeps (null for a pinned view).</summary>
    public Guid? CheckpointId => _checkpoint?.Id ?? _options.CheckpointId;

    private RetryingObjectStore WalStore => _separateWal ?? _mainStore;

    /// <summary>Opens a view of <paramref name="path"/>.</summary>
    public static async Task<ReaderEngine> OpenAsync(string path, IObjectStore store, DbReaderOptions options, CancellationToken cancellationToken)
    {
        var settings = (options.Settings ?? new Settings()).Clone();
        settings.Validate();
        if (options.ManifestPollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ManifestPollInterval, $"{nameof(DbReaderOptions.ManifestPollInterval)} must be positive.");
        }

        if (options.CheckpointLifetime <= 2 * options.ManifestPollInterval)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                options.CheckpointLifetime,
                $"{nameof(DbReaderOptions.CheckpointLifetime)} ({options.CheckpointLifetime}) must be more than twice {nameof(DbReaderOptions.ManifestPollInterval)} ({options.ManifestPollInterval}).");
        }

        var time = options.TimeProvider ?? TimeProvider.System;
        var random = new DbRandom(unchecked((ulong)(options.Seed ?? time.GetUtcNow().UtcTicks)));
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SlateDb.DbReader");
        var services = new EngineServices(path, settings, time, random, logger);
        var manifestStore = new ManifestStore(
            StoreRetries.Retrying(store, time, random), path, time, SequencedObjectStore<Manifest.Proto.ManifestData>.DefaultMaxUpdateAttempts, settings.ManifestUpdateTimeout);
        var latest = await manifestStore.TryReadLatestAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"There is no database at '{path}' in the object store '{store.Uri}': it has no manifest (nothing under '{manifestStore.Paths.ManifestPrefix}').");
        if (!latest.Value.Initialized)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"The database '{path}' is a clone whose creation did not finish (manifest {latest.Id} is not initialized); re-run the clone creation before reading it.");
        }

        var view = options.CheckpointId is { } pinned ? await ReadPinnedAsync(manifestStore, latest, pinned, cancellationToken).ConfigureAwait(false) : latest;
        var engine = new ReaderEngine(options, path, store, view, manifestStore, services);
        engine.CheckWalStore(view.Value);
        if (engine.IsPinned)
        {
            await engine.ReplayPinnedAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var keeper = new ManifestKeeper(FenceableManifest.Observe(manifestStore, latest), static _ => { }, logger);
            engine._checkpoint = new ReaderCheckpoint(keeper, services, options.CheckpointLifetime);
            try
            {
                await engine.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await engine._checkpoint.DeleteAsync().ConfigureAwait(false);
                throw;
            }

            engine.StartPolling();
        }

        Log.ReaderOpened(logger, path, engine.View.Id, engine.CheckpointId?.ToString() ?? "none", engine.ThroughWalId, engine.IsPinned);
        return engine;
    }

    /// <summary>Catches up now: the latest manifest, a new checkpoint if its SSTs changed, the WAL written since. A pinned view does nothing.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        Lifecycle.ThrowIfNotReadable();
        if (_checkpoint is null)
        {
            return;
        }

        await _refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Lifecycle.ThrowIfNotReadable();
            var latest = await _checkpoint.Keeper.RefreshAsync(cancellationToken).ConfigureAwait(false);
            CheckWalStore(latest.Value);
            var view = await _checkpoint.PinAsync(latest, View, cancellationToken).ConfigureAwait(false);
            Apply(view);
            await TailAsync(ulong.MaxValue, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Stops the view and opens the writer it becomes (see invariant 5).</summary>
    public async Task<Db> PromoteAsync(CancellationToken cancellationToken)
    {
        if (_checkpoint is null)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"A reader of '{Services.DbPath}' pinned to checkpoint {_options.CheckpointId} cannot become the writer; promote a reader that follows the latest manifest.");
        }

        Lifecycle.ThrowIfNotReadable();
        var started = Services.Time.GetTimestamp();
        await StopPollingAsync().ConfigureAwait(false);
        await _refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Lifecycle.ThrowIfNotReadable();
            var warm = new WarmStart(_memtables.FreezeAll(), _memtables.ThroughWalId, Tables);
            var open = new DbOpenOptions(
                Services.DbPath, _mainStore, _separateWal, Services.Settings, Services.Time, Services.Random.Fork(), _loggerFactory, warm);
            var engine = await DbOpener.OpenAsync(open, cancellationToken).ConfigureAwait(false);
            Lifecycle.TryBeginClose();
            await _checkpoint.DeleteAsync().ConfigureAwait(false);
            Log.ReaderPromoted(Services.Logger, Services.DbPath, engine.Manifest.Value.WriterEpoch, warm.ThroughWalId, Services.Time.GetElapsedTime(started).TotalMilliseconds);
            return new Db(engine);
        }
        catch when (Lifecycle.IsOpen)
        {
            StartPolling();
            throw;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Stops polling and deletes the view's checkpoint, once; later calls return the same task.</summary>
    public Task CloseAsync()
    {
        lock (_closeLock)
        {
            _closeTask ??= CloseCoreAsync();
        }

        return _closeTask;
    }

    private static async Task<VersionedManifest> ReadPinnedAsync(ManifestStore store, VersionedManifest latest, Guid id, CancellationToken cancellationToken)
    {
        var entry = ManifestCheckpoints.Find(latest.Value, id) ?? throw ManifestCheckpoints.Missing(store.DbPath, id, "the checkpoint to read");
        try
        {
            return await store.ReadAsync(entry.ManifestId, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException e)
        {
            throw new CorruptionException(store.PathOf(entry.ManifestId), $"checkpoint {id} pins this manifest, but it is missing", e);
        }
    }

    private async Task CloseCoreAsync()
    {
        var wasOpen = Lifecycle.TryBeginClose();
        await StopPollingAsync().ConfigureAwait(false);
        if (wasOpen && _checkpoint is not null)
        {
            await _refreshLock.WaitAsync().ConfigureAwait(false);
            try
            {
                await _checkpoint.DeleteAsync().ConfigureAwait(false);
            }
            finally
            {
                _refreshLock.Release();
            }
        }
    }

    // The WAL-store rule of a writer's open, for a view: the WAL is where the manifest says it is.
    private void CheckWalStore(Manifest.Proto.ManifestData manifest)
    {
        var configured = _separateWal?.Uri;
        if (WalStoreCheck.CheckRecorded(manifest, _paths, configured) is null && configured is not null)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"'{_paths.Root}' keeps its WAL in its main store '{_mainStore.Uri}' (its manifest records no WAL object store), but the reader " +
                $"was opened with the WAL object store '{configured}'; open the reader without {nameof(DbReaderOptions.WalObjectStore)}.");
        }
    }

    // Moves the view to `version`: its L0 and sorted runs, without the memtables L0 now holds, in one swap.
    private void Apply(VersionedManifest version)
    {
        if (!ReaderCheckpoint.SstsChanged(version.Value, View.Value))
        {
            _memtables.SkipTo(version.Value.ReplayAfterWalId);
            Volatile.Write(ref _view, version);
            return;
        }

        var known = ManifestViews.ByPath(State.Current);
        var l0 = ManifestViews.L0(version.Value, _paths, known);
        var runs = ManifestViews.SortedRuns(version.Value, _paths, known);
        State.Update(s => ReaderMemtables.WithoutFlushed(s, version.Value.LastL0Seq) with { L0 = l0, SortedRuns = runs });
        Tables.Retain(ManifestViews.Paths(l0, runs));
        _memtables.SkipTo(version.Value.ReplayAfterWalId);
        Volatile.Write(ref _view, version);
    }

    // Replays the stored WAL objects after the tail, up to `lastId`, stopping at the first missing id.
    private async Task TailAsync(ulong lastId, CancellationToken cancellationToken)
    {
        var from = _memtables.ThroughWalId;
        var listed = await WalFence.ListAsync(WalStore, _paths, from, cancellationToken).ConfigureAwait(false);
        var end = from;
        foreach (var info in listed)
        {
            if (info.Id != end + 1 || info.Id > lastId)
            {
                break;
            }

            end = info.Id;
        }

        if (end == from)
        {
            return;
        }

        var skipAtOrBelow = Math.Max(View.Value.LastL0Seq, _memtables.LastSeq);
        var result = await _replayer.ReplayAsync(new WalRange(from, end + 1, end + 1), end + 1, skipAtOrBelow, listed, cancellationToken).ConfigureAwait(false);
        _memtables.SkipTo(result.LastWalId);
        Log.ReaderTailed(Services.Logger, Services.DbPath, from, result.LastWalId, result.Rows);
    }

    private async Task ReplayPinnedAsync(CancellationToken cancellationToken)
    {
        var manifest = View.Value;
        if (manifest.NextWalSstId <= manifest.ReplayAfterWalId + 1)
        {
            return;
        }

        var last = manifest.NextWalSstId - 1;
        await TailAsync(last, cancellationToken).ConfigureAwait(false);
        if (_memtables.ThroughWalId < last)
        {
            throw new CorruptionException(
                _paths.WalSstPath(_memtables.ThroughWalId + 1),
                $"checkpoint {_options.CheckpointId} pins manifest {View.Id}, which names WAL ids up to {last}, but this WAL object is missing from '{WalStore.Uri}'");
        }
    }

    private void StartPolling()
    {
        var keeper = _checkpoint!.Keeper;
        _stop = new CancellationTokenSource();
        _poller = keeper.PollAsync(Services.Time, _options.ManifestPollInterval, Services.DbPath, OnPollFailed, _stop.Token, RefreshAsync);
    }

    private async Task StopPollingAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void OnPollFailed(Exception cause)
    {
        if (Lifecycle.IsOpen && Lifecycle.TryFail(cause))
        {
            Log.Failed(Services.Logger, Services.DbPath, cause);
        }
    }
}
