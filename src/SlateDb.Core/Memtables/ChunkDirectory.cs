namespace SlateDb.Memtables;

/// <summary>Growth of the chunk directories that arena-style storage publishes to lock-free readers.</summary>
internal static class ChunkDirectory
{
    /// <summary>
    /// Returns a directory with room for index <paramref name="index"/>. When <paramref name="directory"/> is full it is
    /// copied into one twice as large, which is published with a release write; readers holding the old one still see
    /// every chunk it held.
    /// </summary>
    public static T[][] EnsureRoom<T>(ref T[][] directory, int index)
    {
        var current = directory;
        if (index < current.Length)
        {
            return current;
        }

        var grown = new T[Math.Max(current.Length * 2, index + 1)][];
        Array.Copy(current, grown, current.Length);
        Volatile.Write(ref directory, grown);
        return grown;
    }
}
