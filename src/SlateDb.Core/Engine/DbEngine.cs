using System.Diagnostics.CodeAnalysis;
using SlateDb.Cache;
using SlateDb.Checkpoints;
using SlateDb.Compaction;
using SlateDb.Gc;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.Memtables;
using SlateDb.ObjectStore;
using SlateDb.Read;
using SlateDb.Wal;
using SlateDb.Write;

namespace SlateDb.Engine;

// The engine wires one open database together and owns its lifecycle.
//
// Invariants
//  1. Every manifest change (L0 publication, the open's WAL-store record, checkpoints, the close, the poll) goes
//     through the ManifestKeeper, and the read state's L0 and sorted runs are rebuilt from the manifest written or
//     read under its lock, so the read state follows the manifest in id order.
//  2. The first failure (a FencedException from a WAL create or a manifest update, or any permanent store error)
//     moves the lifecycle to Fenced/Failed once, faults every pending durable task and flush, wakes waiting writers,
//     and stops the background tasks; later calls fail fast with the lifecycle's error.
//  3. Close freezes the memtable (which seals the WAL), waits for the WAL writer and the flusher to drain, then
//     writes one more manifest (next_wal_sst_id) unless the database was fenced or failed. It runs once, and it
//     fails (FencedException or DbClosedException) whenever the database failed or was fenced, before or during it:
//     a successful close means everything written is in L0.
//
//  4. Rule D (docs/rfcs/0003-checkpoints-and-clones.md): whenever a manifest is written after rows reached L0 (an L0
//     publication, a memtable flush that found nothing to freeze, a checkpoint, the close), replay_after_wal_id moves to
//     the highest stored WAL id whose rows, and every lower id's rows, are all in L0 (WalWriter.FlushedThrough), and
//     next_wal_sst_id to the id after the last stored one; so a manifest never names WAL objects that hold nothing it
//     needs, never moves the watermark backwards, and never moves it past next_wal_sst_id - 1.
//
//  5. Compaction (docs/rfcs/0004-compaction.md) runs under its own compactor epoch with its own manifest claim; its
//     publications and this writer's L0 publications are CAS updates re-applied to the latest manifest, so neither
//     loses the other's change, and the read state follows whichever lands (after a publication in this process the
//     writer refreshes at once). SSTs a compaction removed stay in the store (GC deletes them later), so scans that
//     took them in their snapshot finish reading them.
//  6. L0 backpressure: with a compactor in this process, a memtable flush waits before its upload while L0 holds
//     L0MaxSsts SSTs (writers then wait through MaxUnflushedBytes); every applied manifest wakes it, and a failure
//     faults it. Without a compactor here, the limit does not apply (nothing here could lift it).
//
// Background tasks: the WAL writer, the memtable flusher, the WAL flush timer (in WriteLoop), the manifest poller,
// the compactor (unless Settings.Compactor is null) and the garbage collector's schedule (unless Settings.Gc is null;
// its failures are logged, never fatal).

/// <summary>One open database: the write loop, WAL writer, flusher, read state and manifest claim.</summary>
[SuppressMessage("Reliability", "CA1001", Justification = "The token source has no timer and holds no unmanaged resources.")]
internal sealed class DbEngine
{
    private readonly IObjectStore _mainStore;
    private readonly DbPaths _paths;
    private readonly ManifestKeeper _manifest;
    private readonly Backpressure _backpressure;
    private readonly WalWriter _walWriter;
    private readonly MemtableFlusher _flusher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _closeLock = new();
    private readonly TaskCompletionSource<Exception> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AsyncSignal _l0Changed = new();
    private Task _poller = Task.CompletedTask;
    private Task _gc = Task.CompletedTask;
    private Task? _closeTask;
    private int _failing;
    private long _lastWalStoredTicks;

    // tables: the SST readers and block cache to start with (a promoted read-only view's); null for new ones.
    public DbEngine(EngineServices services, DbPaths paths, IObjectStore mainStore, IObjectStore walStore, FenceableManifest manifest, TableCache? tables = null)
    {
        Services = services;
        _paths = paths;
        _mainStore = mainStore;
        WalStore = walStore;
        _manifest = new ManifestKeeper(manifest, v => ApplyManifest(v, null), services.Logger);
        Lifecycle = new Lifecycle(services.DbPath);
        var settings = services.Settings;
        Tables = tables ?? new TableCache(mainStore, settings.BlockCacheBytes > 0 ? new BlockCache(settings.BlockCacheBytes) : null, settings.MetadataCacheBytes);
        var current = manifest.Current.Value;
        State = new DbStateHolder(new DbState(
            new Memtables.Memtable(), [], ManifestViews.L0(current, paths), ManifestViews.SortedRuns(current, paths)));
        _backpressure = new Backpressure(settings.MaxUnflushedBytes);
        _walWriter = new WalWriter(walStore, paths, services, OnWalStored, e => Fail(StoreErrors.BackgroundFailure(_walWriter!.Name, e)));
        _flusher = new MemtableFlusher(services, mainStore, paths, PublishL0Async, e => Fail(StoreErrors.BackgroundFailure(_flusher!.Name, e)), WaitForL0RoomAsync)
        {
            Snapshots = Snapshots,
        };
        if (settings.Compactor is { } compaction)
        {
            Compactor = new CompactorCore(
                mainStore, paths, settings, compaction, services.Time, services.Random.Fork(), services.Logger, services.Metrics,
                ct => _manifest.RefreshAsync(ct), OnCompactorFailed, () => _manifest.Current);
        }
        else
        {
            Log.L0LimitNotEnforced(services.Logger, services.DbPath, settings.L0MaxSsts);
        }

        var walOptions = new Format.SstWriterOptions { BlockSize = settings.BlockSize, Compression = settings.Compression };
        WriteLoop = new WriteLoop(
            services, Lifecycle, State, new WalBuffer(walOptions, services.Time), _walWriter, _flusher, _backpressure, Fail,
            current.LastL0Seq, current.L0ClockTick);
    }

    public EngineServices Services { get; }

    public Lifecycle Lifecycle { get; }

    public DbStateHolder State { get; }

    public TableCache Tables { get; }

    public WriteLoop WriteLoop { get; }

    /// <summary>The compactor running in this process (null when <see cref="Settings.Compactor"/> is null).</summary>
    public CompactorCore? Compactor { get; }

    public IObjectStore WalStore { get; }

    /// <summary>The seqs open snapshots and transactions read at (docs/rfcs/0006-snapshots-and-transactions.md).</summary>
    public Transactions.SnapshotRegistry Snapshots { get; } = new();

    /// <summary>The snapshots open scans iterate; the collector of this process never deletes their SSTs.</summary>
    public SnapshotPins Pins { get; } = new();

    /// <summary>The manifest this writer knows is current.</summary>
    public VersionedManifest Manifest => _manifest.Current;

    /// <summary>Where this writer's manifest changes go (checkpoints, the compactor in this process).</summary>
    public ManifestKeeper ManifestKeeper => _manifest;

    /// <summary>The highest WAL id stored (or this writer's fence before the first).</summary>
    public ulong LastDurableWalId => _walWriter.LastDurableWalId;

    /// <summary>When this writer last stored a WAL object (its fence at the open, until the first write is durable).</summary>
    public DateTimeOffset LastWalStoredAt => new(Volatile.Read(ref _lastWalStoredTicks), TimeSpan.Zero);

    /// <summary>Whether the database had already failed or been fenced when closing began.</summary>
    public bool FailedBeforeClose { get; private set; }

    /// <summary>Completes with the cause when the database fails or is fenced (for tests and tools).</summary>
    public Task<Exception> Failed => _failed.Task;

    /// <summary>
    /// Claims the compactor epoch (when this process runs a compactor), then starts the flusher and the compactor:
    /// before replay, so replayed memtables can flush while replay goes on and a flush waiting for L0 room finds a
    /// compactor running; and during the open, so the claim's manifest write is not left to happen at a random time.
    /// </summary>
    public async Task StartFlusherAsync(CancellationToken cancellationToken)
    {
        if (Compactor is not null)
        {
            await Compactor.ClaimAsync(cancellationToken).ConfigureAwait(false);
            await _manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        _flusher.Start();
        Compactor?.Start();
    }

    /// <summary>Ends replay and starts writing: WAL ids after <paramref name="fenceId"/>, the flush timer, the poller.</summary>
    public void StartWriting(ulong fenceId)
    {
        WriteLoop.FinishReplay(fenceId);
        Volatile.Write(ref _lastWalStoredTicks, Services.Time.GetUtcNow().UtcTicks);
        _walWriter.Start(fenceId, WriteLoop.LastSeq);
        WriteLoop.StartTimer();
        Services.Metrics.Observe(() => WriteLoop.UnflushedBytes, () => State.Current.L0.Length, () => State.Current.SortedRuns.Length, () => LastWalStoredAt, Services.Time);
        _poller = _manifest.PollAsync(Services.Time, Services.Settings.ManifestPollInterval, Services.DbPath, e => Fail(StoreErrors.BackgroundFailure("the manifest poller", e)), _stop.Token);
        if (Services.Settings.Gc is { } gc)
        {
            ScheduledCollector = CreateCollector();
            _gc = GcSchedule.RunAsync(ScheduledCollector, gc, Services.Time, Services.DbPath, Services.Logger, _stop.Token);
        }
    }

    /// <summary>The collector the in-process schedule runs (null when <see cref="Settings.Gc"/> is off).</summary>
    public GarbageCollector? ScheduledCollector { get; private set; }

    /// <summary>A collector for this database that goes through this writer's manifest and honours its open scans.</summary>
    public GarbageCollector CreateCollector()
        => new(_mainStore, WalStore, _manifest.Claim.Store, GcManifestAccess.ForKeeper(_manifest), Services.Time, Services.Logger, Pins);

    /// <summary>Completes at once, or when writers may proceed because flushes freed room under the limit.</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
        => WriteLoop.IsOverLimit ? new ValueTask(WaitForRoomSlowAsync(cancellationToken)) : default;

    /// <summary>Records the configured WAL store's URI in the manifest (the none → some change).</summary>
    public Task RecordWalStoreUriAsync(string uri, CancellationToken cancellationToken)
        => _manifest.UpdateAsync(
            m =>
            {
                m.WalObjectStoreUri = uri;
                return m;
            },
            cancellationToken: cancellationToken);

    /// <summary>
    /// After a dropped corrupt WAL tail: flushes everything replayed to L0 and moves replay_after_wal_id to the fence,
    /// so no later open reads the dropped object again (it would no longer be the tail).
    /// </summary>
    public async Task SealDroppedTailAsync(ulong fenceId, CancellationToken cancellationToken)
    {
        await WriteLoop.FlushMemtableAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await _manifest.UpdateAsync(
            m =>
            {
                if (m.ReplayAfterWalId >= fenceId)
                {
                    return null;
                }

                m.ReplayAfterWalId = fenceId;
                m.NextWalSstId = Math.Max(m.NextWalSstId, fenceId + 1);
                return m;
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the database once; later calls return the same task.</summary>
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        lock (_closeLock)
        {
            _closeTask ??= CloseCoreAsync();
        }

        return _closeTask.WaitAsync(cancellationToken);
    }

    /// <summary>Stops everything after a failed open, without flushing or writing a manifest.</summary>
    public async Task AbortAsync()
    {
        Fail(new DbClosedException($"Opening '{Services.DbPath}' failed."));
        Services.Metrics.StopObserving();
        await _walWriter.DrainAsync().ConfigureAwait(false);
        await _flusher.DrainAsync().ConfigureAwait(false);
        await StopPollerAsync().ConfigureAwait(false);
        await StopCompactorAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the database because of <paramref name="cause"/> (the first call wins).</summary>
    public void Fail(Exception cause)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 1)
        {
            return;
        }

        Lifecycle.TryFail(cause);
        if (cause is FencedException)
        {
            Log.Fenced(Services.Logger, Services.DbPath, cause.Message);
        }
        else if (cause is not DbClosedException)
        {
            Log.Failed(Services.Logger, Services.DbPath, cause);
        }

        var durableError = cause is FencedException or DbClosedException
            ? cause
            : new DbClosedException($"'{Services.DbPath}' closed after a failure: {cause.Message}", cause);
        WriteLoop.Fail(durableError);
        _walWriter.Fail(durableError);
        _flusher.Fail(durableError);
        _backpressure.WakeAll();
        _l0Changed.Fail(durableError);
        _stop.Cancel();
        _failed.TrySetResult(cause);
    }

    private async Task CloseCoreAsync()
    {
        var wasOpen = Lifecycle.TryBeginClose();
        FailedBeforeClose = !wasOpen && Lifecycle.Cause is not null;
        Exception? error = null;
        if (wasOpen)
        {
            try
            {
                await WriteLoop.SealForCloseAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                error = e;
            }
        }

        WriteLoop.Dispose();
        await _walWriter.DrainAsync().ConfigureAwait(false);

        // The compactor stops only after the flusher drained: a last flush may wait for it to make room in L0.
        await _flusher.DrainAsync().ConfigureAwait(false);
        await StopCompactorAsync().ConfigureAwait(false);
        await StopPollerAsync().ConfigureAwait(false);
        if (error is null && Lifecycle.Cause is null)
        {
            try
            {
                await _manifest.UpdateAsync(m => ApplyFlushedWal(m) ? m : null).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                error = e;
            }
        }

        Services.Metrics.StopObserving();
        Log.Closed(Services.Logger, Services.DbPath);

        // A database that failed or was fenced could not flush what it held: closing it must not look like success.
        if (Lifecycle.Cause is not null)
        {
            throw Lifecycle.WriteError();
        }

        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>
    /// Flushes the memtable to L0 (<see cref="WriteLoop.FlushMemtableAsync"/>), then applies rule D even when there was
    /// nothing to freeze, so the manifest's replay range drops WAL objects (fences included) that hold nothing it needs.
    /// </summary>
    public async Task FlushMemtableAsync(CancellationToken cancellationToken)
    {
        await WriteLoop.FlushMemtableAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await _manifest.UpdateAsync(m => ApplyFlushedWal(m) ? m : null, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a checkpoint: for <see cref="CheckpointScope.All"/> flushes the WAL and the memtable to L0 first; then one
    /// manifest update applies rule D (so the pinned manifest's WAL range starts after everything in L0 and ends at the
    /// last WAL object stored) and adds the checkpoint, pinning that very manifest (or the source's).
    /// </summary>
    public async Task<CheckpointResult> CreateCheckpointAsync(CheckpointScope scope, CheckpointOptions? options, CancellationToken cancellationToken)
    {
        ManifestCheckpoints.Validate(options);
        Lifecycle.ThrowIfNotWritable();
        if (scope == CheckpointScope.All)
        {
            await FlushMemtableAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (scope != CheckpointScope.Durable)
        {
            throw new ArgumentOutOfRangeException(nameof(scope), scope, "Not a CheckpointScope.");
        }

        var id = Services.Random.NextGuid();
        CheckpointInfo? created = null;
        await _manifest.UpdateVersionedAsync(
            version =>
            {
                var manifest = version.Value;
                ApplyFlushedWal(manifest);
                created = ManifestCheckpoints.Add(manifest, version.Id + 1, id, options, Services.Time.GetUtcNow(), Services.DbPath);
                return manifest;
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.CheckpointCreated(Services.Logger, Services.DbPath, id, created!.ManifestId, scope);
        Services.Metrics.CheckpointCreated();
        return new CheckpointResult { Id = id, ManifestId = created.ManifestId };
    }

    /// <summary>
    /// Rule D on <paramref name="manifest"/> (a clone being changed): replay_after_wal_id moves to the highest stored
    /// WAL id all of whose rows (and every lower id's) are at or below last_l0_seq, next_wal_sst_id past the last stored
    /// id. Returns whether anything changed. Never moves either backwards.
    /// </summary>
    public bool ApplyFlushedWal(ManifestData manifest)
    {
        // FlushedThrough reads entries recorded after LastDurableWalId moved, so it is read first: through <= next - 1.
        var through = _walWriter.FlushedThrough(manifest.LastL0Seq);
        var nextWal = Math.Max(_walWriter.LastDurableWalId, through) + 1;
        var changed = false;
        if (nextWal > manifest.NextWalSstId)
        {
            manifest.NextWalSstId = nextWal;
            changed = true;
        }

        if (through > manifest.ReplayAfterWalId)
        {
            manifest.ReplayAfterWalId = through;
            changed = true;
        }

        return changed;
    }

    private async Task WaitForRoomSlowAsync(CancellationToken cancellationToken)
    {
        Services.Metrics.BackpressureWait();
        Log.Backpressure(Services.Logger, Services.DbPath, WriteLoop.UnflushedBytes, _backpressure.Limit);
        while (true)
        {
            var progress = _backpressure.ProgressTask;
            Lifecycle.ThrowIfNotWritable();
            if (!WriteLoop.IsOverLimit)
            {
                return;
            }

            WriteLoop.EnsureFlushing();
            try
            {
                await progress.WaitAsync(TimeSpan.FromSeconds(30), Services.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.Backpressure(Services.Logger, Services.DbPath, WriteLoop.UnflushedBytes, _backpressure.Limit);
            }
        }
    }

    // Publishes an uploaded L0 SST: one manifest update, then the read state swaps the memtable for the SST.
    private async Task PublishL0Async(ImmutableMemtable memtable, L0Table table)
    {
        var handle = ManifestViews.ToHandle(table.Id, table.Info);
        var written = await _manifest.UpdateAsync(
            m =>
            {
                // A retried update whose earlier attempt landed sees its own handle already listed.
                if (!m.L0.Any(h => h.Id.Equals(handle.Id)))
                {
                    m.L0.Insert(0, handle);
                }

                m.ReplayAfterWalId = Math.Max(m.ReplayAfterWalId, memtable.LastWalId);
                m.LastL0Seq = Math.Max(m.LastL0Seq, memtable.MaxSeq);
                m.L0ClockTick = Math.Max(m.L0ClockTick, memtable.MaxCreateTs);

                // Compaction keeps every version above this seq plus the newest at or below it: all that the open
                // snapshots and transactions (and every later reader) can see. It never goes down (SnapshotRegistry).
                m.RecentSnapshotMinSeq = Math.Max(m.RecentSnapshotMinSeq, Snapshots.RetentionSeq(memtable.MaxSeq));
                ApplyFlushedWal(m);
                return m;
            },
            v => ApplyManifest(v, memtable)).ConfigureAwait(false);
        _backpressure.MemtablePublished(memtable.SizeBytes);
        Compactor?.Nudge();
        Log.L0Flushed(Services.Logger, Services.DbPath, table.Path, table.Info.RowCount, table.Info.Size, memtable.MaxSeq, written.Value.ReplayAfterWalId);
    }

    // Called under the manifest lock, once per new version (or with the memtable a publication retires). Views of SSTs
    // that stay keep their open readers.
    private void ApplyManifest(VersionedManifest version, ImmutableMemtable? published)
    {
        var known = ManifestViews.ByPath(State.Current);
        var l0 = ManifestViews.L0(version.Value, _paths, known);
        var runs = ManifestViews.SortedRuns(version.Value, _paths, known);
        State.Update(s => (published is null ? s : s.WithoutImmutable(published)) with { L0 = l0, SortedRuns = runs });
        Tables.Retain(ManifestViews.Paths(l0, runs));
        _l0Changed.Pulse();
    }

    // The flusher calls this before each upload: with a compactor in this process, wait while L0 is full.
    private async Task WaitForL0RoomAsync()
    {
        var limit = Services.Settings.L0MaxSsts;
        if (Compactor is null || State.Current.L0.Length < limit)
        {
            return;
        }

        var started = Services.Time.GetTimestamp();
        Services.Metrics.L0StallStarted();
        Log.L0Full(Services.Logger, Services.DbPath, State.Current.L0.Length, limit);
        while (true)
        {
            var changed = _l0Changed.WaitTask;
            if (State.Current.L0.Length < limit)
            {
                break;
            }

            // Fail marks the engine failing before it faults the waiters; a wait that began after that would never end.
            if (Volatile.Read(ref _failing) == 1)
            {
                throw Lifecycle.Cause ?? new DbClosedException($"'{Services.DbPath}' failed.");
            }

            Compactor.Nudge();
            await changed.ConfigureAwait(false);
        }

        Services.Metrics.L0StallEnded((long)Services.Time.GetElapsedTime(started).TotalMilliseconds);
    }

    // A fenced compactor (a newer one runs elsewhere) stops quietly; the database goes on (the other one compacts).
    // Any other compactor failure fails the database: writers would otherwise stall at L0MaxSsts with no one to help.
    private void OnCompactorFailed(Exception error)
    {
        if (error is FencedException)
        {
            Log.CompactorFenced(Services.Logger, Services.DbPath, error.Message);
            return;
        }

        Log.CompactorFailed(Services.Logger, Services.DbPath, error);
        Fail(StoreErrors.BackgroundFailure("the compactor", error));
    }

    private Task StopCompactorAsync() => Compactor?.StopAsync() ?? Task.CompletedTask;

    private async Task StopPollerAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _gc.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    // After each WAL object is stored, before its durable task completes: note when (the health check's age of the
    // last durable write), release backpressure, and let the write loop seal the buffer a durable write waits for.
    private void OnWalStored(Wal.SealedWal stored)
    {
        Volatile.Write(ref _lastWalStoredTicks, Services.Time.GetUtcNow().UtcTicks);
        _backpressure.WalStored(stored.Bytes);
        WriteLoop.WalStored();
    }
}
