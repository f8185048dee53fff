using Microsoft.Extensions.Logging;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Engine;

/// <summary>What opening a database needs.</summary>
internal sealed record DbOpenOptions(
    string Path,
    IObjectStore Store,
    IObjectStore? WalStore,
    Settings Settings,
    TimeProvider Time,
    DbRandom Random,
    ILoggerFactory LoggerFactory,
    WarmStart? Warm = null);

// Opening a writer (DESIGN.md "Manifest updates and fencing", "Recovery", "The separate WAL store"):
//
//   1. read the latest manifest; refuse an unfinished clone and a WAL store that breaks the recorded-URI rule; LIST
//      wal/ after replay_after_wal_id and check it (WalRange: stray, missing and empty objects) — all before anything
//      is written, so an open refused for any of these leaves the stores as they were
//   2. claim writer_epoch + 1 (manifest CAS; creates manifest 1 for a new database); check the rules again on the
//      claimed version — from here on no older writer can change replay_after_wal_id
//   3. LIST wal/ again and check it against the claimed manifest; F = max(last id + 1, next_wal_sst_id); create the
//      fence object at F (an id taken meanwhile: refresh the manifest — FencedException if yet another writer claimed
//      — and try F + 1); refresh once more to confirm the epoch
//   4. start the flusher, replay (replay_after_wal_id, F) into memtables (rows <= last_l0_seq skipped); a promoted
//      read-only view (WarmStart) applies the memtables it holds first and replays only the WAL objects after them
//   5. start writing at F + 1: WAL writer, flush timer, manifest poller
//   6. record the WAL store URI (none → some), and after a dropped corrupt tail or a missing tail flush it all to L0
//      and move replay_after_wal_id to F
//
// A failure after step 2 stops whatever was started; the claimed epoch and the fence stay, which is harmless (the
// next open claims a newer epoch and fences after them).

/// <summary>The open sequence of a writer.</summary>
internal static class DbOpener
{
    // How many times the WAL check before the claim re-lists when the manifest changed under it.
    private const int PreClaimCheckAttempts = 3;

    public static async Task<DbEngine> OpenAsync(DbOpenOptions options, CancellationToken cancellationToken)
    {
        var paths = new DbPaths(options.Path);
        var settings = options.Settings;
        var mainStore = StoreRetries.Retrying(options.Store, options.Time, options.Random);
        var separateWal = StoreRetries.SeparateWal(options.WalStore, options.Store, options.Time, options.Random);
        var walStore = separateWal ?? mainStore;
        var walUri = separateWal?.Uri;

        var manifestStore = new ManifestStore(
            mainStore, options.Path, options.Time, SequencedObjectStore<Manifest.Proto.ManifestData>.DefaultMaxUpdateAttempts, settings.ManifestUpdateTimeout);
        var latest = await manifestStore.TryReadLatestAsync(cancellationToken).ConfigureAwait(false);
        await CheckBeforeClaimAsync(latest, manifestStore, walStore, walUri, settings.WalRecoveryMode, cancellationToken).ConfigureAwait(false);

        var fenceable = await FenceableManifest.ClaimWriterAsync(manifestStore, cancellationToken).ConfigureAwait(false);
        var claimed = fenceable.Current.Value;

        // Each writer epoch draws from its own random stream, so two lives of a database with the same seed (and a
        // clock that did not move) still mint different SST ids.
        var random = new DbRandom(options.Random.Seed ^ (fenceable.WriterEpoch * 0x9E3779B97F4A7C15UL));
        var services = new EngineServices(options.Path, settings, options.Time, random, options.LoggerFactory.CreateLogger("SlateDb.Db"));
        var recordUri = await WalStoreCheck.CheckAsync(claimed, paths, mainStore, walUri, cancellationToken).ConfigureAwait(false);

        var listed = await WalFence.ListAsync(walStore, paths, claimed.ReplayAfterWalId, cancellationToken).ConfigureAwait(false);
        var range = WalRange.Check(
            listed, claimed.ReplayAfterWalId, claimed.NextWalSstId, manifestStore.PathOf(fenceable.Current.Id), settings.WalRecoveryMode, paths, walStore.Uri, recordUri);
        var fenceId = await WalFence.WriteAsync(walStore, paths, fenceable, range.FirstFenceId, listed, cancellationToken).ConfigureAwait(false);
        await fenceable.RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (!recordUri && range.HasMissingTail)
        {
            Log.WalShorterThanManifest(services.Logger, options.Path, claimed.NextWalSstId - 1, range.MissingFrom - 1);
        }

        var engine = new DbEngine(services, paths, mainStore, walStore, fenceable, options.Warm?.Tables);
        try
        {
            await engine.StartFlusherAsync(cancellationToken).ConfigureAwait(false);
            var replayer = new WalReplayer(walStore, paths, services, fenceable, engine.WriteLoop, engine.WaitForRoomAsync);
            var (replayRange, warmRows) = options.Warm is { } warm
                ? await warm.ApplyAsync(range, claimed.LastL0Seq, engine.WriteLoop, cancellationToken).ConfigureAwait(false)
                : (range, 0L);
            var replay = await replayer.ReplayAsync(replayRange, fenceId, claimed.LastL0Seq, listed, cancellationToken).ConfigureAwait(false);
            engine.StartWriting(fenceId);
            if (recordUri)
            {
                await engine.RecordWalStoreUriAsync(walUri!, cancellationToken).ConfigureAwait(false);
                Log.WalStoreRecorded(services.Logger, options.Path, walUri!);
            }

            // Neither a dropped object nor the ids of a missing tail may stay in the replay range of later opens.
            if (replay.DroppedTail is not null || range.HasMissingTail)
            {
                await engine.SealDroppedTailAsync(fenceId, cancellationToken).ConfigureAwait(false);
            }

            Log.Opened(services.Logger, options.Path, fenceable.WriterEpoch, claimed.ReplayAfterWalId, fenceId, replay.Rows + warmRows, fenceId + 1);
            return engine;
        }
        catch
        {
            await engine.AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Step 1: everything that refuses an open from what is already stored, checked before the claim writes anything.
    // The WAL listing is checked against the manifest read before it; when the check fails, the manifest is read
    // again: if it is unchanged, no writer moved replay_after_wal_id (or let a GC delete below it) between the two, so
    // the listing's verdict stands. If it changed, the check runs again on the new one; after a few rounds the check
    // after the claim decides.
    private static async Task CheckBeforeClaimAsync(
        VersionedManifest? latest, ManifestStore manifestStore, RetryingObjectStore walStore, string? walUri, WalRecoveryMode mode, CancellationToken cancellationToken)
    {
        var paths = manifestStore.Paths;
        for (var attempt = 1; ; attempt++)
        {
            var manifest = latest?.Value ?? ManifestDefaults.NewDatabase();
            var adopting = false;
            if (latest is not null)
            {
                if (!manifest.Initialized)
                {
                    throw new SlateDbException(
                        SlateDbErrorKind.Invalid,
                        $"The database '{paths.Root}' is a clone whose creation did not finish (manifest {latest.Id} is not initialized); " +
                        "re-run the clone creation (DbAdmin.CreateCloneAsync) before opening it.");
                }

                adopting = await WalStoreCheck.CheckAsync(manifest, paths, manifestStore.ObjectStore, walUri, cancellationToken).ConfigureAwait(false);
            }

            var listed = await WalFence.ListAsync(walStore, paths, manifest.ReplayAfterWalId, cancellationToken).ConfigureAwait(false);
            try
            {
                WalRange.Check(
                    listed, manifest.ReplayAfterWalId, manifest.NextWalSstId, manifestStore.PathOf(latest?.Id ?? 1), mode, paths, walStore.Uri, adopting);
                return;
            }
            catch (CorruptionException) when (attempt < PreClaimCheckAttempts)
            {
                var again = await manifestStore.TryReadLatestAsync(cancellationToken).ConfigureAwait(false);
                if (again?.Id == latest?.Id)
                {
                    throw;
                }

                latest = again;
            }
            catch (CorruptionException)
            {
                return;
            }
        }
    }

}
