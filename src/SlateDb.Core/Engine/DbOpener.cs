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
    ILoggerFactory LoggerFactory);

// Opening a writer (DESIGN.md "Manifest updates and fencing", "Recovery", "The separate WAL store"):
//
//   1. read the latest manifest; refuse an unfinished clone and a WAL store that breaks the recorded-URI rule
//      (both before anything is written)
//   2. claim writer_epoch + 1 (manifest CAS; creates manifest 1 for a new database); check the rules again on the
//      claimed version — from here on no older writer can change replay_after_wal_id
//   3. LIST wal/ after replay_after_wal_id in the WAL store; F = last id + 1; create the zero-byte fence at F
//      (an id taken meanwhile: refresh the manifest — FencedException if yet another writer claimed — and try F + 1);
//      refresh once more to confirm the epoch
//   4. start the flusher, replay (replay_after_wal_id, F) into memtables (rows <= last_l0_seq skipped)
//   5. start writing at F + 1: WAL writer, flush timer, manifest poller
//   6. record the WAL store URI (none → some), and after a dropped corrupt tail flush it all to L0
//
// A failure after step 2 stops whatever was started; the claimed epoch and the fence stay, which is harmless (the
// next open claims a newer epoch and fences after them).

/// <summary>The open sequence of a writer.</summary>
internal static class DbOpener
{
    public static async Task<DbEngine> OpenAsync(DbOpenOptions options, CancellationToken cancellationToken)
    {
        var paths = new DbPaths(options.Path);
        var settings = options.Settings;
        var mainStore = Retrying(options.Store, options);
        var separateWal = options.WalStore is { } w && !string.Equals(w.Uri, options.Store.Uri, StringComparison.Ordinal) ? w : null;
        var walStore = separateWal is null ? mainStore : Retrying(separateWal, options);
        var walUri = separateWal?.Uri;

        var manifestStore = new ManifestStore(
            mainStore, options.Path, options.Time, SequencedObjectStore<Manifest.Proto.ManifestData>.DefaultMaxUpdateAttempts, settings.ManifestUpdateTimeout);
        if (await manifestStore.TryReadLatestAsync(cancellationToken).ConfigureAwait(false) is { } latest)
        {
            if (!latest.Value.Initialized)
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Invalid,
                    $"The database '{options.Path}' is a clone whose creation did not finish (manifest {latest.Id} is not initialized); " +
                    "re-run the clone creation (DbAdmin.CreateCloneAsync) before opening it.");
            }

            await WalStoreCheck.CheckAsync(latest.Value, paths, mainStore, walUri, cancellationToken).ConfigureAwait(false);
        }

        var fenceable = await FenceableManifest.ClaimWriterAsync(manifestStore, cancellationToken).ConfigureAwait(false);
        var claimed = fenceable.Current.Value;

        // Each writer epoch draws from its own random stream, so two lives of a database with the same seed (and a
        // clock that did not move) still mint different SST ids.
        var random = new DbRandom(options.Random.Seed ^ (fenceable.WriterEpoch * 0x9E3779B97F4A7C15UL));
        var services = new EngineServices(options.Path, settings, options.Time, random, options.LoggerFactory.CreateLogger("SlateDb.Db"));
        var recordUri = await WalStoreCheck.CheckAsync(claimed, paths, mainStore, walUri, cancellationToken).ConfigureAwait(false);

        var replayAfter = claimed.ReplayAfterWalId;
        var listed = await WalFence.ListAsync(walStore, paths, replayAfter, cancellationToken).ConfigureAwait(false);
        var fenceId = await WalFence.WriteAsync(walStore, paths, fenceable, replayAfter, listed, cancellationToken).ConfigureAwait(false);
        await fenceable.RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (!recordUri && fenceId < claimed.NextWalSstId)
        {
            Log.WalShorterThanManifest(services.Logger, options.Path, claimed.NextWalSstId - 1, fenceId - 1);
        }

        var engine = new DbEngine(services, paths, mainStore, walStore, fenceable);
        try
        {
            engine.StartFlusher();
            var replayer = new WalReplayer(walStore, paths, services, fenceable, engine.WriteLoop, engine.WaitForRoomAsync);
            var replay = await replayer.ReplayAsync(replayAfter, fenceId, claimed.LastL0Seq, listed, cancellationToken).ConfigureAwait(false);
            engine.StartWriting(fenceId);
            if (recordUri)
            {
                await engine.RecordWalStoreUriAsync(walUri!, cancellationToken).ConfigureAwait(false);
                Log.WalStoreRecorded(services.Logger, options.Path, walUri!);
            }

            if (replay.DroppedTail is not null)
            {
                await engine.SealDroppedTailAsync(fenceId, cancellationToken).ConfigureAwait(false);
            }

            Log.Opened(services.Logger, options.Path, fenceable.WriterEpoch, replayAfter, fenceId, replay.Rows, fenceId + 1);
            return engine;
        }
        catch
        {
            await engine.AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static RetryingObjectStore Retrying(IObjectStore store, DbOpenOptions options)
        => store as RetryingObjectStore ?? new RetryingObjectStore(store, null, options.Time, (int)(options.Random.NextUInt64() & int.MaxValue));
}
