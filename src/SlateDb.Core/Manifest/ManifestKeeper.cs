using Microsoft.Extensions.Logging;
using SlateDb.Infrastructure;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Manifest;

// The one place an open database changes or re-reads its manifest.
//
// Invariants
//  1. Changes (L0 publication, checkpoints, the WAL-store record, close, the compactor's results) and polls run one at
//     a time under one lock, so the owner's view follows the manifest in id order.
//  2. Every version written or read under the lock is handed to the owner's apply callback under the same lock, once
//     per id (a change may ask for its own apply instead, e.g. to retire a flushed memtable in the same swap).
//  3. The poller tolerates what a retry can fix (store outages, lost races) and fails the owner on what it cannot:
//     a newer epoch (FencedException), a manifest that fails verification, an epoch below ours, missing manifests.
//
// Outline
//   UpdateAsync(mutate) → lock → FenceableManifest.UpdateAsync (epoch-checked CAS, re-apply on conflict)
//   → apply(written) → unlock.   Poll tick → lock → RefreshAsync → apply(latest) → unlock.

/// <summary>Serializes one process's manifest changes and polls, and applies each new version to its owner.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The semaphore is only awaited (no wait handle is created) and holds no unmanaged resources.")]
internal sealed class ManifestKeeper
{
    private readonly FenceableManifest _manifest;
    private readonly Action<VersionedManifest> _apply;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private ulong _appliedId;

    /// <param name="manifest">The claimed manifest (writer or compactor epoch), or an observed one (a read-only view).</param>
    /// <param name="apply">Called under the lock with each version newer than the last one applied.</param>
    /// <param name="logger">Where poll failures that are retried go.</param>
    public ManifestKeeper(FenceableManifest manifest, Action<VersionedManifest> apply, ILogger logger)
    {
        _manifest = manifest;
        _apply = apply;
        _logger = logger;
    }

    /// <summary>The latest manifest this process knows.</summary>
    public VersionedManifest Current => _manifest.Current;

    /// <summary>The claim (its epoch and store).</summary>
    public FenceableManifest Claim => _manifest;

    /// <summary>
    /// Applies <paramref name="mutate"/> (see <see cref="FenceableManifest.UpdateAsync(Func{ManifestData, ManifestData?}, CancellationToken)"/>: null = nothing to change) and
    /// hands the result to <paramref name="applyWith"/> when given, else to the owner's apply callback if it is new.
    /// </summary>
    /// <exception cref="FencedException">A newer process claimed the epoch; nothing was written.</exception>
    public Task<VersionedManifest> UpdateAsync(
        Func<ManifestData, ManifestData?> mutate, Action<VersionedManifest>? applyWith = null, CancellationToken cancellationToken = default)
        => UpdateVersionedAsync(version => mutate(version.Value), applyWith, cancellationToken);

    /// <summary>As the other overload, with the version being changed (the result is written as its id + 1).</summary>
    public async Task<VersionedManifest> UpdateVersionedAsync(
        Func<VersionedManifest, ManifestData?> mutate, Action<VersionedManifest>? applyWith = null, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var written = await _manifest.UpdateVersionedAsync(mutate, cancellationToken).ConfigureAwait(false);
            if (applyWith is not null)
            {
                _appliedId = Math.Max(_appliedId, written.Id);
                applyWith(written);
            }
            else
            {
                ApplyIfNew(written);
            }

            return written;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Re-reads the latest manifest now and applies it.</summary>
    /// <exception cref="FencedException">A newer process claimed the epoch.</exception>
    public async Task<VersionedManifest> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var latest = await _manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
            ApplyIfNew(latest);
            return latest;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Polls every <paramref name="interval"/> until <paramref name="stop"/> is cancelled or a poll fails in a way a
    /// retry cannot fix; <paramref name="onFatal"/> then gets the cause and polling ends.
    /// </summary>
    /// <param name="time">The clock the interval runs on.</param>
    /// <param name="interval">The time between polls.</param>
    /// <param name="dbPath">The database path, for messages.</param>
    /// <param name="onFatal">Gets the cause of a failure a retry cannot fix.</param>
    /// <param name="stop">Ends polling.</param>
    /// <param name="poll">What one poll does (a read-only view also tails the WAL); by default <see cref="RefreshAsync"/>.</param>
    public Task PollAsync(
        TimeProvider time, TimeSpan interval, string dbPath, Action<Exception> onFatal, CancellationToken stop, Func<CancellationToken, Task>? poll = null)
        => PeriodicLoop.RunAsync(
            time,
            interval,
            async ct =>
            {
                try
                {
                    await (poll is null ? RefreshAsync(ct) : poll(ct)).ConfigureAwait(false);
                    return true;
                }
                catch (Exception e) when (e is not OperationCanceledException && IsRetryable(e))
                {
                    Log.ManifestPollFailed(_logger, dbPath, e);
                    return true;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    onFatal(e is FencedException or CorruptionException
                        ? e
                        : new SlateDbException(SlateDbErrorKind.Internal, $"The manifest poller of '{dbPath}' stopped: {e.Message}", e));
                    return false;
                }
            },
            stop);

    /// <summary>Whether a failed manifest read or write may succeed when tried again later.</summary>
    public static bool IsRetryable(Exception error) => error switch
    {
        FencedException or CorruptionException => false,
        SlateDbException s => s.Kind is SlateDbErrorKind.Unavailable or SlateDbErrorKind.Conflict,
        ObjectNotFoundException => true,   // a listed manifest gone by the time it is read: a race, read again
        ObjectStoreException o => o.IsTransient,
        TimeoutException => true,
        _ => false,
    };

    private void ApplyIfNew(VersionedManifest version)
    {
        if (version.Id <= _appliedId)
        {
            return;
        }

        _appliedId = version.Id;
        _apply(version);
    }
}
