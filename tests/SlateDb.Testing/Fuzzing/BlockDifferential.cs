using SlateDb.Format;

namespace SlateDb.Testing.Fuzzing;

/// <summary>
/// Feeds one decoded data block to both block decoders: the scan cursor (<see cref="BlockCursor"/>, walking and
/// seeking) and the point search (<see cref="BlockSearch"/>). Either may refuse the block only with
/// <see cref="CorruptionException"/>. When the block's entries are in key order (as every compacted block is), a lookup
/// through the cursor and one through the search must give the same answer, or both refuse the block.
/// </summary>
internal static class BlockDifferential
{
    private const string ObjectPath = "fuzz.sst";
    private const int MaxProbes = 24;

    public static void Check(byte[] bytes)
    {
        DataBlock block;
        try
        {
            block = new DataBlock(bytes, ObjectPath, 0);
        }
        catch (CorruptionException)
        {
            return;
        }

        var cursor = new BlockCursor();
        Walk(cursor, block);
        var ordered = RunsInKeyOrder(block, out var keys, out var seqs);
        foreach (var key in Probes(keys))
        {
            foreach (var maxSeq in seqs)
            {
                var viaCursor = Attempt(() => LookUpWithCursor(cursor, block, key, maxSeq));
                var viaSearch = Attempt(() =>
                {
                    var result = BlockSearch.Find(block, key, maxSeq, key, out var row);
                    return (result, result == BlockSearchResult.Found ? row.Detach() : default);
                });
                if (ordered && !Agree(viaCursor, viaSearch))
                {
                    throw new FuzzFailureException(
                        "sst-block",
                        bytes,
                        $"the decoders disagree on key {Convert.ToHexString(key)} at seq <= {maxSeq}: the cursor gives {Describe(viaCursor)}, the search {Describe(viaSearch)}");
                }
            }
        }
    }

    private static void Walk(BlockCursor cursor, DataBlock block)
    {
        cursor.Reset(block);
        try
        {
            while (cursor.MoveNext())
            {
                _ = cursor.Current.Value.Length;
            }
        }
        catch (CorruptionException)
        {
            // The walk stops at the first malformed entry.
        }
    }

    // Decodes each restart run from its restart point until its first malformed entry (where both decoders stop too)
    // and says whether every key decoded is ≥ the one before it, across runs as well. Collects distinct keys and seqs.
    private static bool RunsInKeyOrder(DataBlock block, out List<byte[]> keys, out List<ulong> seqs)
    {
        keys = [];
        var seqSet = new SortedSet<ulong> { 0, ulong.MaxValue };
        var entries = block.Entries;
        var ordered = true;
        byte[]? previousRunLast = null;
        for (var r = 0; r < block.RestartCount; r++)
        {
            var start = block.RestartOffset(r);
            var end = r + 1 < block.RestartCount ? block.RestartOffset(r + 1) : block.EntriesLength;
            var offset = start;
            byte[]? previous = null;
            var complete = true;
            while (offset < end)
            {
                BlockEntry entry;
                try
                {
                    BlockEntry.Read(block, entries, offset, previous?.Length ?? 0, offset == start, out entry);
                }
                catch (CorruptionException)
                {
                    complete = false;
                    break;
                }

                var key = new byte[entry.KeyLength];
                previous?.AsSpan(0, entry.Shared).CopyTo(key);
                entries.Slice(entry.SuffixStart, entry.Unshared).CopyTo(key.AsSpan(entry.Shared));
                var before = previous ?? previousRunLast;
                if (before is not null && key.AsSpan().SequenceCompareTo(before) < 0)
                {
                    ordered = false;
                }

                if (keys.Count < MaxProbes && (keys.Count == 0 || !keys[^1].AsSpan().SequenceEqual(key)))
                {
                    keys.Add(key);
                }

                if (seqSet.Count < 8)
                {
                    seqSet.Add(entry.Seq);
                    seqSet.Add(entry.Seq - 1);
                }

                previous = key;
                offset = entry.End;
            }

            previousRunLast = complete && offset == end ? previous : null;
        }

        seqs = [.. seqSet];
        return ordered;
    }

    // Each key seen, and keys just before, just after and between them.
    private static IEnumerable<byte[]> Probes(List<byte[]> keys)
    {
        yield return [0x00];
        yield return [0xFF, 0xFF];
        foreach (var key in keys)
        {
            yield return key;
            yield return [.. key, 0x00];
            if (key.Length > 1)
            {
                yield return key[..^1];
            }

            var below = (byte[])key.Clone();
            if (below[^1] > 0)
            {
                below[^1]--;
                yield return below;
            }
        }
    }

    // A lookup as a scan does it: seek the cursor to the key, then skip its versions newer than the bound.
    private static (BlockSearchResult Result, Row Row) LookUpWithCursor(BlockCursor cursor, DataBlock block, byte[] key, ulong maxSeq)
    {
        cursor.Reset(block);
        if (!cursor.Seek(key))
        {
            return (BlockSearchResult.Absent, default);
        }

        var onKey = false;
        while (cursor.MoveNext())
        {
            if (!cursor.CurrentKey.SequenceEqual(key))
            {
                return (BlockSearchResult.Absent, default);
            }

            onKey = true;
            if (cursor.Current.Seq <= maxSeq)
            {
                return (BlockSearchResult.Found, cursor.Current.Detach());
            }
        }

        return (onKey ? BlockSearchResult.MayContinue : BlockSearchResult.Absent, default);
    }

    private static (BlockSearchResult Result, Row Row, CorruptionException? Error) Attempt(Func<(BlockSearchResult, Row)> lookup)
    {
        try
        {
            var (result, row) = lookup();
            return (result, row, null);
        }
        catch (CorruptionException e)
        {
            return (default, default, e);
        }
    }

    private static bool Agree((BlockSearchResult Result, Row Row, CorruptionException? Error) a, (BlockSearchResult Result, Row Row, CorruptionException? Error) b)
    {
        if (a.Error is not null || b.Error is not null)
        {
            return a.Error is not null && b.Error is not null;
        }

        return a.Result == b.Result
            && (a.Result != BlockSearchResult.Found
                || (a.Row.Key.Span.SequenceEqual(b.Row.Key.Span) && a.Row.Seq == b.Row.Seq && a.Row.Kind == b.Row.Kind
                    && a.Row.Value.Span.SequenceEqual(b.Row.Value.Span) && a.Row.CreateTs == b.Row.CreateTs && a.Row.ExpireTs == b.Row.ExpireTs));
    }

    private static string Describe((BlockSearchResult Result, Row Row, CorruptionException? Error) outcome)
        => outcome.Error is not null ? $"CorruptionException ({outcome.Error.Detail})"
            : outcome.Result == BlockSearchResult.Found ? $"Found {outcome.Row}" : outcome.Result.ToString();
}
