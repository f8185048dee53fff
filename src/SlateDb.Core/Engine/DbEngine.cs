using System.Diagnostics.CodeAnalysis;
using SlateDb.Cache;
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
//  1. Every manifest change (L0 publication, the open's WAL-store record, the close, the poll) runs under the
//     manifest lock, and the read state's L0 and sorted runs are rebuilt from the manifest written or read under it,
//     so the read state follows the manifest in id order.
//  2. The first failure (a FencedException from a WAL create or a manifest update, or any permanent store error)
//     moves the lifecycle to Fenced/Failed once, faults every pending durable task and flush, wakes waiting writers,
//     and stops the background tasks; later calls fail fast with the lifecycle's error.
//  3. Close freezes the memtable (which seals the WAL), waits for the WAL writer and the flusher to drain, then
//     writes one more manifest (next_wal_sst_id) unless the database was fenced or failed. It runs once, and it
//     fails (FencedException or DbClosedException) whenever the database failed or was fenced, before or during it:
//     a successful close means everything written is in L0.
//
// Background tasks: the WAL writer, the memtable flusher, the WAL flush timer (in WriteLoop) and the manifest poller.

/// <summary>One open database: the write loop, WAL writer, flusher, read state and manifest claim.</summary>
[SuppressMessage("Reliability", "CA1001", Justification = "The semaphore is only awaited (no wait handle) and the token source has no timer; neither holds unmanaged resources.")]
internal sealed class DbEngine
{
    private readonly IObjectStore _mainStore;
    private readonly DbPaths _paths;
    private readonly FenceableManifest _manifest;
    private readonly SemaphoreSlim _manifestLock = new(1, 1);
    private readonly Backpressure _backpressure;
    private readonly WalWriter _walWriter;
    private readonly MemtableFlusher _flusher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _closeLock = new();
    private readonly TaskCompletionSource<Exception> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _poller = Task.CompletedTask;
    private Task? _closeTask;
    private int _failing;
    private ulong _appliedManifestId;

    public DbEngine(EngineServices services, DbPaths paths, IObjectStore mainStore, IObjectStore walStore, FenceableManifest manifest)
    {
        Services = services;
        _paths = paths;
        _mainStore = mainStore;
        WalStore = walStore;
        _manifest = manifest;
        Lifecycle = new Lifecycle(services.DbPath);
        var settings = services.Settings;
        Tables = new TableCache(mainStore, settings.BlockCacheBytes > 0 ? new BlockCache(settings.BlockCacheBytes) : null);
        var current = manifest.Current.Manifest;
        State = new DbStateHolder(new DbState(
            new Memtables.Memtable(), [], ManifestViews.L0(current, paths), ManifestViews.SortedRuns(current, paths)));
        _backpressure = new Backpressure(settings.MaxUnflushedBytes);
        _walWriter = new WalWriter(walStore, paths, services, w => _backpressure.WalStored(w.Bytes), e => Fail(StoreErrors.BackgroundFailure("the WAL writer", e)));
        _flusher = new MemtableFlusher(services, mainStore, paths, PublishL0Async, e => Fail(StoreErrors.BackgroundFailure("the memtable flusher", e)));
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

    public IObjectStore WalStore { get; }

    /// <summary>The manifest this writer knows is current.</summary>
    public VersionedManifest Manifest => _manifest.Current;

    /// <summary>The highest WAL id stored (or this writer's fence before the first).</summary>
    public ulong LastDurableWalId => _walWriter.LastDurableWalId;

    /// <summary>Whether the database had already failed or been fenced when closing began.</summary>
    public bool FailedBeforeClose { get; private set; }

    /// <summary>Completes with the cause when the database fails or is fenced (for tests and tools).</summary>
    public Task<Exception> Failed => _failed.Task;

    /// <summary>Starts the flusher (before replay, so replayed memtables can flush while replay goes on).</summary>
    public void StartFlusher() => _flusher.Start();

    /// <summary>Ends replay and starts writing: WAL ids after <paramref name="fenceId"/>, the flush timer, the poller.</summary>
    public void StartWriting(ulong fenceId)
    {
        WriteLoop.FinishReplay(fenceId);
        _walWriter.Start(fenceId, WriteLoop.LastSeq);
        WriteLoop.StartTimer();
        _poller = PollManifestAsync();
    }

    /// <summary>Completes at once, or when writers may proceed because flushes freed room under the limit.</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
        => WriteLoop.IsOverLimit ? new ValueTask(WaitForRoomSlowAsync(cancellationToken)) : default;

    /// <summary>Records the configured WAL store's URI in the manifest (the none → some change).</summary>
    public Task RecordWalStoreUriAsync(string uri, CancellationToken cancellationToken)
        => UpdateManifestAsync(
            m =>
            {
                m.WalObjectStoreUri = uri;
                return m;
            },
            null,
            cancellationToken);

    /// <summary>
    /// After a dropped corrupt WAL tail: flushes everything replayed to L0 and moves replay_after_wal_id to the fence,
    /// so no later open reads the dropped object again (it would no longer be the tail).
    /// </summary>
    public async Task SealDroppedTailAsync(ulong fenceId, CancellationToken cancellationToken)
    {
        await WriteLoop.FlushMemtableAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await UpdateManifestAsync(
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
            null,
            cancellationToken).ConfigureAwait(false);
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
        await _walWriter.DrainAsync().ConfigureAwait(false);
        await _flusher.DrainAsync().ConfigureAwait(false);
        await StopPollerAsync().ConfigureAwait(false);
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
        await _flusher.DrainAsync().ConfigureAwait(false);
        await StopPollerAsync().ConfigureAwait(false);
        if (error is null && Lifecycle.Cause is null)
        {
            try
            {
                var nextWal = _walWriter.LastDurableWalId + 1;
                await UpdateManifestAsync(m => nextWal > m.NextWalSstId ? SetNextWal(m, nextWal) : null, null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                error = e;
            }
        }

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

    private static ManifestData SetNextWal(ManifestData manifest, ulong nextWal)
    {
        manifest.NextWalSstId = nextWal;
        return manifest;
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
        var nextWal = _walWriter.LastDurableWalId + 1;
        var written = await UpdateManifestAsync(
            m =>
            {
                // A retried update whose earlier attempt landed sees its own handle already listed.
                if (!m.L0.Any(h => h.Id.Equals(handle.Id)))
                {
                    m.L0.Insert(0, handle);
                }

                m.ReplayAfterWalId = Math.Max(m.ReplayAfterWalId, memtable.LastWalId);
                m.NextWalSstId = Math.Max(m.NextWalSstId, nextWal);
                m.LastL0Seq = Math.Max(m.LastL0Seq, memtable.MaxSeq);
                m.L0ClockTick = Math.Max(m.L0ClockTick, memtable.MaxCreateTs);
                return m;
            },
            memtable,
            CancellationToken.None).ConfigureAwait(false);
        _backpressure.MemtablePublished(memtable.SizeBytes);
        Log.L0Flushed(Services.Logger, Services.DbPath, table.Path, table.Info.RowCount, table.Info.Size, memtable.MaxSeq, written.Manifest.ReplayAfterWalId);
    }

    // A manifest change under the manifest lock; the read state follows the written manifest, with `published`
    // (if any) leaving the frozen memtables in the same swap.
    private async Task<VersionedManifest> UpdateManifestAsync(
        Func<ManifestData, ManifestData?> mutate, ImmutableMemtable? published, CancellationToken cancellationToken)
    {
        await _manifestLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var written = await _manifest.UpdateAsync(mutate, cancellationToken).ConfigureAwait(false);
            ApplyManifest(written, published);
            return written;
        }
        finally
        {
            _manifestLock.Release();
        }
    }

    // Called under the manifest lock. Views of SSTs that stay keep their open readers.
    private void ApplyManifest(VersionedManifest version, ImmutableMemtable? published)
    {
        if (published is null && version.Id == _appliedManifestId)
        {
            return;
        }

        _appliedManifestId = version.Id;
        var known = ManifestViews.ByPath(State.Current);
        var l0 = ManifestViews.L0(version.Manifest, _paths, known);
        var runs = ManifestViews.SortedRuns(version.Manifest, _paths, known);
        State.Update(s => (published is null ? s : s.WithoutImmutable(published)) with { L0 = l0, SortedRuns = runs });
        Tables.Retain(ManifestViews.Paths(l0, runs));
    }

    // Re-reads the manifest every ManifestPollInterval: notices a newer writer while idle and picks up the
    // compactor's changes to L0 and the sorted runs.
    private async Task PollManifestAsync()
    {
        using var timer = new PeriodicTimer(Services.Settings.ManifestPollInterval, Services.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await _manifestLock.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    var latest = await _manifest.RefreshAsync(_stop.Token).ConfigureAwait(false);
                    ApplyManifest(latest, null);
                }
                catch (FencedException e)
                {
                    Fail(e);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.ManifestPollFailed(Services.Logger, Services.DbPath, e);
                }
                finally
                {
                    _manifestLock.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task StopPollerAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
