using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Testing.Simulation;

/// <summary>Tells a writer's fence from a WAL SST in a listing of <c>wal/</c>.</summary>
public static class WalObjects
{
    /// <summary>Whether the listed WAL object is fence-sized (a WAL SST is always larger than a fence).</summary>
    public static bool IsFence(ObjectMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        return meta.Size == WalFenceObject.Length;
    }
}
