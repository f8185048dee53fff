using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;

namespace SlateDb.Wal;

/// <summary>One WAL object found in the WAL store.</summary>
/// <param name="Id">The WAL id.</param>
/// <param name="Size">The object's size (<see cref="WalFenceObject.Length"/> for a fence); -1 when not known.</param>
internal readonly record struct WalObjectInfo(ulong Id, long Size);

// Fencing the WAL: a new writer creates its fence object (WalFenceObject: magic, its epoch, a checksum) at the first
// free WAL id F after the replay range. WAL ids are dense and every object is created with PutMode.Create, so an older
// writer's next object lands on an id <= F that already exists and fails: nothing it writes afterwards can be
// acknowledged as durable. The new writer replays exactly the ids below F, which hold everything an older writer stored
// before the fence.
//
// Finding F: one LIST of wal/ after replay_after_wal_id, checked by WalRange (ids are dense, so F = the last listed id
// + 1, or next_wal_sst_id if the manifest gave out more ids than the WAL holds). A create that finds an object (an older
// writer stored one in between) moves on to the next id after refreshing the manifest, which throws FencedException if
// yet another writer claimed a newer epoch meanwhile.

/// <summary>Lists the WAL and writes this writer's fence.</summary>
internal static class WalFence
{
    /// <summary>The WAL objects with ids greater than <paramref name="after"/>, in id order (unparseable names skipped).</summary>
    public static async Task<List<WalObjectInfo>> ListAsync(IObjectStore walStore, DbPaths paths, ulong after, CancellationToken cancellationToken)
    {
        var found = new List<WalObjectInfo>();
        await foreach (var meta in walStore.ListAsync(paths.WalPrefix, paths.WalSstPath(after), cancellationToken).ConfigureAwait(false))
        {
            if (paths.TryParseWalId(meta.Path, out var id) && id > after)
            {
                found.Add(new WalObjectInfo(id, meta.Size));
            }
        }

        return found;
    }

    /// <summary>
    /// Creates the fence of <paramref name="manifest"/>'s writer epoch at the first free id from
    /// <paramref name="firstId"/>; ids taken meanwhile are added to <paramref name="listed"/> (size unknown). Returns the
    /// fence id.
    /// </summary>
    /// <exception cref="FencedException">A newer writer claimed the database while this one was fencing.</exception>
    /// <exception cref="CorruptionException">The WAL id space is exhausted (an id with no successor).</exception>
    public static async Task<ulong> WriteAsync(
        IObjectStore walStore, DbPaths paths, FenceableManifest manifest, ulong firstId, List<WalObjectInfo> listed, CancellationToken cancellationToken)
    {
        var fence = WalFenceObject.Encode(manifest.WriterEpoch);
        var fenceId = firstId;
        while (true)
        {
            try
            {
                await walStore.PutAsync(paths.WalSstPath(fenceId), fence, PutMode.Create, cancellationToken).ConfigureAwait(false);
                return fenceId;
            }
            catch (ObjectAlreadyExistsException)
            {
                await manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
                listed.Add(new WalObjectInfo(fenceId, -1));
                fenceId = fenceId < ulong.MaxValue
                    ? fenceId + 1
                    : throw new CorruptionException(paths.WalSstPath(fenceId), "it holds the largest WAL id; no fence can follow it");
            }
        }
    }
}
