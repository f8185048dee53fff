using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Compaction;

// The compactor of one database: in a Db's process (Settings.Compactor) or standalone (Compactor).
//
// Invariants
//  1. It holds its own compactor epoch (claimed in the manifest, then written to the compactor state object); every
//     manifest and state update checks it, so once a newer compactor claimed, this one publishes nothing more.
//  2. A job is recorded in the compactor state before it writes an output and removed after its manifest update
//     (CompactionJobRegistry); its outputs are referenced only by that update, so a crash or failure at any point
//     leaves its outputs unreferenced and the manifest as it was (or fully published).
//  3. Publication is a CAS update re-applied to the latest manifest (CompactionPublication), serialized with this
//     compactor's other updates through its ManifestKeeper: writer and compactor changes merge without loss.
//  4. A pass snapshots the running jobs before it reads the manifest, so a job that finished in between is seen as
//     published, never as free inputs. Scheduling passes run one at a time (a BackgroundWorker fed by the poll timer, nudges and finished jobs; at most
//     one pass is queued); jobs run concurrently, up to MaxConcurrentCompactions, never sharing an input, and at most
//     one takes L0 (SizeTieredPolicy).
//  5. Failures a retry can fix (store outages, lost races, timeouts) fail the job, not the compactor: it is picked
//     again later. Fencing, corruption and invariant violations stop the compactor (onFailure, once).
//
// Outline
//   tick / nudge → pass: claim if not yet → refresh manifest → SizeTieredPolicy.Pick → per spec: job task
//   job: mint ULID → record → CompactionExecutor (merge, store outputs) → publish (manifest CAS) → unrecord →
//   onPublished (the Db refreshes its view) → nudge.

/// <summary>Schedules and runs compactions for one database under one compactor epoch.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The token source has no timer and holds no unmanaged resources.")]
internal sealed class CompactorCore : BackgroundWorker<CompactorCore.Pass>
{
    private readonly IObjectStore _store;
    private readonly DbPaths _paths;
    private readonly CompactorSettings _settings;
    private readonly TimeProvider _time;
    private readonly DbRandom _random;
    private readonly ILogger _logger;
    private readonly DbMetrics _metrics;
    private readonly ManifestStore _manifestStore;
    private readonly CompactionExecutor _executor;
    private readonly Func<CancellationToken, Task>? _onPublished;
    private readonly Func<VersionedManifest>? _latestKnown;
    private readonly Action<Exception> _onFailure;
    private readonly ConcurrentDictionary<Ulid, (CompactionSpec Spec, Task Task)> _running = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly AsyncSignal _changed = new();
    private ManifestKeeper? _manifest;
    private CompactionJobRegistry? _jobs;
    private Task _poller = Task.CompletedTask;
    private int _queued;
    private int _reported;

    /// <param name="store">The main store (with retries).</param>
    /// <param name="paths">The database's object names.</param>
    /// <param name="format">The database settings: output SST format and the manifest update timeout.</param>
    /// <param name="settings">The compaction policy and limits.</param>
    /// <param name="time">Poll ticks and timestamps.</param>
    /// <param name="random">Job and output ids.</param>
    /// <param name="logger">Where progress goes.</param>
    /// <param name="metrics">The database's instruments.</param>
    /// <param name="onPublished">Called after each publication (the Db in this process refreshes its view).</param>
    /// <param name="onFailure">Called once when the compactor stops on an error it cannot retry (FencedException when fenced).</param>
    /// <param name="latestKnown">
    /// In a Db's process: the manifest the database knows (it polls anyway). Passes then read no manifest of their own
    /// and there is no poll timer (the Db nudges on each L0 publication). Null (standalone): poll and re-read.
    /// </param>
    public CompactorCore(
        IObjectStore store,
        DbPaths paths,
        Settings format,
        CompactorSettings settings,
        TimeProvider time,
        DbRandom random,
        ILogger logger,
        DbMetrics metrics,
        Func<CancellationToken, Task>? onPublished,
        Action<Exception> onFailure,
        Func<VersionedManifest>? latestKnown = null)
        : base("the compactor", paths.Root, onFailure)
    {
        _latestKnown = latestKnown;
        _store = store;
        _paths = paths;
        _settings = settings;
        _time = time;
        _random = random;
        _logger = logger;
        _metrics = metrics;
        _onPublished = onPublished;
        _onFailure = onFailure;
        _manifestStore = new ManifestStore(
            store, paths.Root, time, SequencedObjectStore<ManifestData>.DefaultMaxUpdateAttempts, format.ManifestUpdateTimeout);
        _executor = new CompactionExecutor(store, paths, format, settings, time, logger);
    }

    /// <summary>The compactor epoch, once claimed.</summary>
    public ulong? Epoch => _jobs?.Epoch;

    /// <summary>How many compactions run now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>The manifest this compactor knows (null before it claimed).</summary>
    public VersionedManifest? Manifest => _manifest?.Current;

    /// <summary>Claims the compactor epoch (fencing older compactors) and records it in the compactor state.</summary>
    /// <exception cref="FencedException">A newer compactor claimed meanwhile.</exception>
    public async Task ClaimAsync(CancellationToken cancellationToken)
    {
        var claim = await FenceableManifest.ClaimCompactorAsync(_manifestStore, cancellationToken).ConfigureAwait(false);
        var jobs = new CompactionJobRegistry(_store, _paths, claim.Epoch, _time);
        await jobs.ClaimAsync(cancellationToken).ConfigureAwait(false);
        _manifest = new ManifestKeeper(claim, static _ => { }, _logger);
        _jobs = jobs;
        Log.CompactorClaimed(_logger, DbPath, claim.Epoch);
    }

    /// <summary>
    /// Starts the loop and, standalone, the poll timer (claiming lazily at the first pass when <see cref="ClaimAsync"/>
    /// was not called).
    /// </summary>
    public new void Start()
    {
        base.Start();
        if (_latestKnown is not null)
        {
            Nudge();
            return;
        }

        _poller = PeriodicLoop.RunAsync(
            _time,
            _settings.PollInterval,
            _ =>
            {
                Nudge();
                return Task.FromResult(true);
            },
            _stop.Token);
        Nudge();
    }

    /// <summary>Asks for a scheduling pass soon (coalesced: at most one pass waits).</summary>
    public void Nudge()
    {
        if (Interlocked.Exchange(ref _queued, 1) == 0)
        {
            Enqueue(Pass.Instance);
        }
    }

    /// <summary>Stops polling and scheduling, cancels running jobs and waits for them (their outputs stay unreferenced).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await DrainAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var job in _running.Values)
        {
            await job.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Completes when no compaction runs and none is due (for tests and tools); fails when the compactor failed.</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = _changed.WaitTask;
            if (Failure is { } failure)
            {
                throw failure;
            }

            if (_running.IsEmpty && _manifest is not null && Volatile.Read(ref _queued) == 0)
            {
                var current = await _manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
                if (_running.IsEmpty && SizeTieredPolicy.Pick(current.Value, _settings, [], 1).Count == 0)
                {
                    return;
                }
            }

            Nudge();
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task ProcessAsync(Pass job)
    {
        Volatile.Write(ref _queued, 0);
        var stop = _stop.Token;
        if (stop.IsCancellationRequested)
        {
            return;
        }

        try
        {
            if (_manifest is null)
            {
                await ClaimAsync(stop).ConfigureAwait(false);
            }

            // Running jobs first, the manifest second: a job leaves the set only after its publication landed, so
            // every job missing from this snapshot is in the manifest read next (the other order could pick the
            // inputs of a job that published in between again).
            var running = _running.Values.Select(r => r.Spec).ToList();
            var current = await LatestAsync(stop).ConfigureAwait(false);
            foreach (var spec in SizeTieredPolicy.Pick(current.Value, _settings, running, _settings.MaxConcurrentCompactions - running.Count))
            {
                StartJob(spec, current.Value);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (ManifestKeeper.IsRetryable(e))
        {
            Log.CompactorPassFailed(_logger, DbPath, e);
        }
        finally
        {
            _changed.Pulse();
        }
    }

    // In a Db's process: the newer of the Db's manifest and this compactor's own (its last publication), no request;
    // either descends from every earlier publication of both. Standalone: a re-read.
    private async Task<VersionedManifest> LatestAsync(CancellationToken cancellationToken)
    {
        if (_latestKnown is null)
        {
            return await _manifest!.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        var db = _latestKnown();
        var own = _manifest!.Current;
        return db.Id >= own.Id ? db : own;
    }

    /// <inheritdoc />
    protected override void Abandon(Pass job, Exception cause) => _changed.Pulse();

    private void StartJob(CompactionSpec spec, ManifestData manifest)
    {
        var id = _random.NextUlid(_time.GetUtcNow().ToUnixTimeMilliseconds());
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = RunJobAsync(id, spec, manifest, started.Task);
        _running[id] = (spec, task);
        started.SetResult();
    }

    private async Task RunJobAsync(Ulid id, CompactionSpec spec, ManifestData manifest, Task registered)
    {
        await registered.ConfigureAwait(false);
        var stop = _stop.Token;
        var jobs = _jobs!;
        var keeper = _manifest!;
        var recorded = false;
        var started = _time.GetTimestamp();
        using var activity = DbTracing.Start("slatedb.compaction", DbPath, _store.Uri);
        activity?.SetTag("slatedb.compaction.id", id.ToString())
            .SetTag("slatedb.compaction.l0_ssts", spec.L0.Count)
            .SetTag("slatedb.compaction.sorted_runs", spec.Runs.Count)
            .SetTag("slatedb.compaction.output_run", (long)spec.OutputRunId);
        try
        {
            Log.CompactionStarted(_logger, DbPath, id.ToString(), spec.ToString());
            await jobs.AddAsync(id, spec, _time.GetUtcNow().ToUnixTimeMilliseconds(), stop).ConfigureAwait(false);
            recorded = true;
            var result = await _executor.RunAsync(spec, manifest, id, manifest.RecentSnapshotMinSeq, _random, stop).ConfigureAwait(false);
            // The mutation refuses a version that lacks the inputs, so it must start from the latest, not from this
            // compactor's last version (in a Db's process that is its claim or last publication).
            await keeper.RefreshAsync(stop).ConfigureAwait(false);
            await keeper.UpdateAsync(m => CompactionPublication.Apply(m, spec, result.Outputs, DbPath), cancellationToken: stop).ConfigureAwait(false);
            _metrics.Compacted(result.BytesIn, result.BytesOut);
            activity?.SetTag("slatedb.compaction.output_ssts", result.Outputs.Count)
                .SetTag("slatedb.compaction.bytes_in", result.BytesIn)
                .SetTag("slatedb.compaction.bytes_out", result.BytesOut)
                .SetTag("slatedb.compaction.rows_in", result.RowsIn)
                .SetTag("slatedb.compaction.rows_out", result.RowsOut);
            Log.CompactionFinished(
                _logger, DbPath, id.ToString(), spec.ToString(), result.BytesIn, result.Outputs.Count, result.BytesOut, result.RowsIn, result.RowsOut, (long)_time.GetElapsedTime(started).TotalMilliseconds);
            await jobs.RemoveAsync(id, stop).ConfigureAwait(false);
            recorded = false;
            if (_onPublished is not null)
            {
                try
                {
                    await _onPublished(stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.CompactionRefreshFailed(_logger, DbPath, e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (ManifestKeeper.IsRetryable(e))
        {
            DbTracing.Failed(activity, e);
            Log.CompactionFailed(_logger, DbPath, id.ToString(), e);
            if (recorded)
            {
                try
                {
                    await jobs.RemoveAsync(id, stop).ConfigureAwait(false);
                }
                catch (Exception removeError) when (ManifestKeeper.IsRetryable(removeError) || removeError is OperationCanceledException)
                {
                    // The entry only spares more from GC; the next claim of a compactor clears it.
                }
            }
        }
        catch (Exception e)
        {
            DbTracing.Failed(activity, e);
            Fail(e);
            Report(e);
        }
        finally
        {
            _running.TryRemove(id, out _);
            if (!stop.IsCancellationRequested && Failure is null)
            {
                Nudge();
            }

            _changed.Pulse();
        }
    }

    private void Report(Exception error)
    {
        _changed.Pulse();
        if (Interlocked.Exchange(ref _reported, 1) == 0)
        {
            _onFailure(error);
        }
    }

    /// <inheritdoc />
    protected override Exception MapFailure(Pass job, Exception error)
    {
        // The base reports a pass's own failure through onFailure; mark it reported so a job cannot report again.
        Interlocked.Exchange(ref _reported, 1);
        return error;
    }

    /// <summary>One scheduling pass (they carry nothing: each reads the latest manifest).</summary>
    internal sealed class Pass
    {
        public static readonly Pass Instance = new();

        private Pass()
        {
        }
    }
}
