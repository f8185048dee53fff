using SlateDb.Layout;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Gc;

/// <summary>Helpers for collector tests on an open database.</summary>
internal static class GcKit
{
    public static readonly GcOptions NoMinAge = new() { MinAge = TimeSpan.Zero };

    /// <summary>
    /// What a compaction does to the read path, without one: SST <paramref name="index"/> of L0 is copied under a new
    /// ULID (minted now) and the manifest swaps the handles, so the old object is no longer referenced by the latest.
    /// Returns the old object's path.
    /// </summary>
    public static async Task<string> RewriteL0Async(SlateDb.Db db, IObjectStore store, TimeProvider time, int index = 0)
    {
        var paths = new DbPaths(DbPath);
        var old = db.Engine.Manifest.Value.L0[index];
        var id = db.Engine.Services.Random.NextUlid(time.GetUtcNow().ToUnixTimeMilliseconds());
        var oldPath = paths.CompactedSstPath(old.Id.ToUlid());
        await store.CopyAsync(oldPath, paths.CompactedSstPath(id));
        await db.Engine.ManifestKeeper.UpdateAsync(m =>
        {
            var at = m.L0.ToList().FindIndex(h => h.Id.Equals(old.Id));
            if (at < 0)
            {
                return null;
            }

            var copy = m.L0[at].Clone();
            copy.Id = SstId.FromUlid(id);
            m.L0[at] = copy;
            return m;
        });
        return oldPath;
    }

    public static async Task<bool> ExistsAsync(IObjectStore store, string path)
    {
        try
        {
            await store.HeadAsync(path);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }
}
