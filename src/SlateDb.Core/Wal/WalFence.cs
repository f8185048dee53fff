using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;

namespace SlateDb.Wal;

/// <summary>One WAL object found in the WAL store.</summary>
/// <param name="Id">The WAL id.</param>
/// <param name="Size">The object's size (0 for a fence); -1 when not known.</param>
internal readonly record struct WalObjectInfo(ulong Id, long Size);

// Fencing the WAL: a new writer creates a zero-byte object at the first free WAL id F after the replay range. WAL
// ids are dense and every object is created with PutMode.Create, so an older writer's next object lands on an id
// <= F that already exists and fails: nothing it writes afterwards can be acknowledged as durable. The new writer
// replays exactly the ids below F, which hold everything an older writer stored before the fence.
//
// Finding F: one LIST of wal/ after replay_after_wal_id (ids are dense, so F = the last listed id + 1). A create
// that finds an object (an older writer stored one in between) moves on to the next id after refreshing the
// manifest, which throws FencedException if yet another writer claimed a newer epoch meanwhile.

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
    /// Creates the zero-byte fence at the first free id after the listed objects; ids taken meanwhile are added to
    /// <paramref name="listed"/> (size unknown). Returns the fence id.
    /// </summary>
    /// <exception cref="FencedException">A newer writer claimed the database while this one was fencing.</exception>
    public static async Task<ulong> WriteAsync(
        IObjectStore walStore, DbPaths paths, FenceableManifest manifest, ulong replayAfter, List<WalObjectInfo> listed, CancellationToken cancellationToken)
    {
        var fenceId = (listed.Count > 0 ? listed[^1].Id : replayAfter) + 1;
        while (true)
        {
            try
            {
                await walStore.PutAsync(paths.WalSstPath(fenceId), ReadOnlyMemory<byte>.Empty, PutMode.Create, cancellationToken).ConfigureAwait(false);
                return fenceId;
            }
            catch (ObjectAlreadyExistsException)
            {
                await manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
                listed.Add(new WalObjectInfo(fenceId, -1));
                fenceId++;
            }
        }
    }
}
