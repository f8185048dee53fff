namespace SlateDb.Format;

/// <summary>What <see cref="BlockSearch.Find"/> learned from one block.</summary>
internal enum BlockSearchResult
{
    /// <summary>The block settles it: the SST holds no version of the key with seq ≤ the bound.</summary>
    Absent,

    /// <summary>The newest version of the key with seq ≤ the bound is in the block.</summary>
    Found,

    /// <summary>The block ended on versions of the key that are all too new; more may follow in the next block.</summary>
    MayContinue,
}

/// <summary>
/// A point lookup inside one <see cref="DataBlock"/> that never rebuilds a key: it binary-searches the restart keys,
/// then walks at most the entries from that restart point on, comparing each entry's stored suffix against the target.
/// </summary>
/// <remarks>
/// The walk keeps <c>m</c>, the length of the prefix the previous key shares with the target, while the previous key
/// sorts before the target (or equals it). An entry whose key shares <c>s</c> bytes with its predecessor then compares
/// to the target as follows: if <c>s &gt; m</c> it agrees with the previous key beyond where that one left the target,
/// so it still sorts before the target and <c>m</c> stays; otherwise its first <c>s</c> bytes are the target's, and
/// comparing its suffix with the target from byte <c>s</c> on decides the order and gives the new <c>m</c>. This holds
/// whether or not the writer stored the longest shared prefix. Each entry's header is checked as
/// <see cref="BlockCursor"/> checks it, so a damaged block raises <see cref="CorruptionException"/> naming the block.
/// </remarks>
internal static class BlockSearch
{
    /// <summary>
    /// Looks for the newest version of <paramref name="key"/> with <c>Seq ≤ maxSeq</c> in <paramref name="block"/>; on
    /// <see cref="BlockSearchResult.Found"/>, <paramref name="row"/> is it, its key being <paramref name="rowKey"/> and its
    /// value a slice of the block.
    /// </summary>
    public static BlockSearchResult Find(DataBlock block, ReadOnlySpan<byte> key, ulong maxSeq, ReadOnlyMemory<byte> rowKey, out Row row)
    {
        var restart = block.SeekRestart(key);
        var entries = block.Entries;
        var offset = block.RestartOffset(restart);
        var nextRestart = restart;
        var nextRestartOffset = offset;
        var previousLength = 0;
        var matched = 0;   // m: the prefix the previous key shares with the target (the target's length once equal)
        var onKey = false;
        while (offset < entries.Length)
        {
            var atRestart = offset == nextRestartOffset;
            if (offset > nextRestartOffset)
            {
                throw RestartInsideEntry(block, nextRestart, nextRestartOffset);
            }

            if (atRestart)
            {
                nextRestart++;
                nextRestartOffset = nextRestart < block.RestartCount ? block.RestartOffset(nextRestart) : int.MaxValue;
            }

            BlockEntry.Read(block, entries, offset, previousLength, atRestart, out var entry);
            previousLength = entry.KeyLength;
            offset = entry.End;
            if (entry.Shared > matched)
            {
                continue;   // still before the target (it cannot be past an equal key: that would share at most its length)
            }

            // Shared <= matched <= key.Length: the entry's first Shared bytes are the target's.
            var c = KeyCompare.Compare(entries.Slice(entry.SuffixStart, entry.Unshared), key[entry.Shared..], out var common);
            if (c > 0)
            {
                onKey = false;
                break;   // past the key (after any versions that were all too new)
            }

            if (c < 0)
            {
                matched = entry.Shared + common;
                onKey = false;
                continue;
            }

            matched = key.Length;
            onKey = true;
            if (entry.Seq <= maxSeq)
            {
                row = new Row(rowKey, entry.Seq, entry.Kind, block.Slice(entry.ValueStart, entry.ValueLength), entry.CreateTs, entry.ExpireTs);
                return BlockSearchResult.Found;
            }
        }

        row = default;
        return onKey ? BlockSearchResult.MayContinue : BlockSearchResult.Absent;
    }

    private static CorruptionException RestartInsideEntry(DataBlock block, int restart, int offset)
        => block.Corrupt($"restart point {restart} at offset {offset} falls inside an entry");
}
