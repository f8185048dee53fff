using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// The range tombstones of one source (a memtable, an SST) or of a whole read, fragmented: disjoint, key-ordered
/// fragments, each with the seqs (descending) of every tombstone that covers it. Immutable and safe to share.
/// </summary>
/// <remarks>
/// A lookup binary-searches the fragment holding a key, so finding the tombstones that cover a key costs
/// O(log fragments) and never touches the rows. Building sorts the bounds of the tombstones and assigns each one to
/// the elementary intervals it spans; neighbouring fragments with the same seqs are joined.
/// </remarks>
internal sealed class RangeTombstoneList
{
    private readonly ReadOnlyMemory<byte>[] _starts;
    private readonly ReadOnlyMemory<byte>?[] _ends;
    private readonly ulong[][] _seqs;

    private RangeTombstoneList(ReadOnlyMemory<byte>[] starts, ReadOnlyMemory<byte>?[] ends, ulong[][] seqs)
    {
        _starts = starts;
        _ends = ends;
        _seqs = seqs;
        ulong min = ulong.MaxValue, max = 0;
        var count = 0;
        foreach (var list in seqs)
        {
            count += list.Length;
            min = Math.Min(min, list[^1]);
            max = Math.Max(max, list[0]);
        }

        TombstoneCount = count;
        MinSeq = count == 0 ? 0 : min;
        MaxSeq = max;
    }

    /// <summary>No tombstones.</summary>
    public static RangeTombstoneList Empty { get; } = new([], [], []);

    /// <summary>Whether there are no tombstones.</summary>
    public bool IsEmpty => _starts.Length == 0;

    /// <summary>The number of fragments.</summary>
    public int FragmentCount => _starts.Length;

    /// <summary>The number of (fragment, seq) pairs: what <see cref="Tombstones"/> yields.</summary>
    public int TombstoneCount { get; }

    /// <summary>The smallest seq of any tombstone (0 when empty).</summary>
    public ulong MinSeq { get; }

    /// <summary>The largest seq of any tombstone (0 when empty).</summary>
    public ulong MaxSeq { get; }

    /// <summary>The smallest key covered (the first fragment's start); empty when there are no tombstones.</summary>
    public ReadOnlyMemory<byte> FirstStart => IsEmpty ? ReadOnlyMemory<byte>.Empty : _starts[0];

    /// <summary>The largest fragment start; empty when there are no tombstones.</summary>
    public ReadOnlyMemory<byte> LastStart => IsEmpty ? ReadOnlyMemory<byte>.Empty : _starts[^1];

    /// <summary>The exclusive end of the last fragment (null: unbounded); meaningless when empty.</summary>
    public ReadOnlyMemory<byte>? LastEnd => IsEmpty ? ReadOnlyMemory<byte>.Empty : _ends[^1];

    /// <summary>The bytes the fragments hold in memory (approximately).</summary>
    public long MemorySize
    {
        get
        {
            long size = 0;
            for (var i = 0; i < _starts.Length; i++)
            {
                size += 64 + _starts[i].Length + (_ends[i]?.Length ?? 0) + (8L * _seqs[i].Length);
            }

            return size;
        }
    }

    /// <summary>Fragments <paramref name="tombstones"/> (any order, overlaps allowed); the bounds are kept, not copied.</summary>
    public static RangeTombstoneList Build(IEnumerable<RangeTombstone> tombstones)
    {
        var all = tombstones as IReadOnlyCollection<RangeTombstone> ?? tombstones.ToList();
        if (all.Count == 0)
        {
            return Empty;
        }

        // The elementary intervals are [bounds[i], bounds[i + 1]), the last one open to +inf.
        var bounds = new List<ReadOnlyMemory<byte>>(all.Count * 2);
        foreach (var t in all)
        {
            bounds.Add(t.Start);
            if (t.End is { } end)
            {
                bounds.Add(end);
            }
        }

        bounds.Sort(static (a, b) => KeyCompare.Compare(a.Span, b.Span));
        var distinct = 0;
        for (var i = 0; i < bounds.Count; i++)
        {
            if (distinct == 0 || KeyCompare.Compare(bounds[i].Span, bounds[distinct - 1].Span) != 0)
            {
                bounds[distinct++] = bounds[i];
            }
        }

        bounds.RemoveRange(distinct, bounds.Count - distinct);
        var covering = new List<ulong>?[bounds.Count];
        foreach (var t in all)
        {
            var first = IndexOf(bounds, t.Start.Span);
            var last = t.End is { } end ? IndexOf(bounds, end.Span) : bounds.Count;
            for (var i = first; i < last; i++)
            {
                (covering[i] ??= []).Add(t.Seq);
            }
        }

        var starts = new List<ReadOnlyMemory<byte>>();
        var ends = new List<ReadOnlyMemory<byte>?>();
        var seqs = new List<ulong[]>();
        for (var i = 0; i < bounds.Count; i++)
        {
            if (covering[i] is not { } list)
            {
                continue;
            }

            list.Sort(static (a, b) => b.CompareTo(a));
            var unique = list.Distinct().ToArray();
            ReadOnlyMemory<byte>? end = i + 1 < bounds.Count ? bounds[i + 1] : RangeTombstone.NoEnd;
            if (starts.Count > 0 && ends[^1] is { } previousEnd && KeyCompare.Compare(previousEnd.Span, bounds[i].Span) == 0
                && seqs[^1].AsSpan().SequenceEqual(unique))
            {
                ends[^1] = end;
                continue;
            }

            starts.Add(bounds[i]);
            ends.Add(end);
            seqs.Add(unique);
        }

        return new RangeTombstoneList([.. starts], [.. ends], [.. seqs]);
    }

    /// <summary>The tombstones of every list in <paramref name="lists"/> together.</summary>
    public static RangeTombstoneList Combine(IEnumerable<RangeTombstoneList> lists)
    {
        var nonEmpty = lists.Where(l => !l.IsEmpty).ToList();
        return nonEmpty.Count switch
        {
            0 => Empty,
            1 => nonEmpty[0],
            _ => Build(nonEmpty.SelectMany(l => l.Tombstones())),
        };
    }

    /// <summary>
    /// The largest seq at or below <paramref name="bound"/> of a tombstone covering <paramref name="key"/>; 0 when none
    /// does. A version of the key with a smaller seq is deleted for a reader at <paramref name="bound"/>.
    /// </summary>
    public ulong CoveringSeq(ReadOnlySpan<byte> key, ulong bound)
    {
        if (IsEmpty)
        {
            return 0;
        }

        // The last fragment whose start is <= key.
        int lo = 0, hi = _starts.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (KeyCompare.Compare(_starts[mid].Span, key) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        var index = lo - 1;
        if (index < 0 || (_ends[index] is { } end && KeyCompare.Compare(key, end.Span) >= 0))
        {
            return 0;
        }

        foreach (var seq in _seqs[index])
        {
            if (seq <= bound)
            {
                return seq;
            }
        }

        return 0;
    }

    /// <summary>Whether a version of <paramref name="key"/> at <paramref name="seq"/> is deleted for a reader at <paramref name="bound"/>.</summary>
    public bool Deletes(ReadOnlySpan<byte> key, ulong seq, ulong bound) => CoveringSeq(key, bound) > seq;

    /// <summary>One tombstone per (fragment, seq), fragments in key order, seqs descending.</summary>
    public IEnumerable<RangeTombstone> Tombstones()
    {
        for (var i = 0; i < _starts.Length; i++)
        {
            foreach (var seq in _seqs[i])
            {
                yield return new RangeTombstone(_starts[i], _ends[i], seq);
            }
        }
    }

    /// <summary>
    /// What a compaction keeps for readers at or above <paramref name="minSeq"/>: every seq above it, plus on each
    /// fragment the newest seq at or below it (it hides everything older for all those readers), which goes too when
    /// <paramref name="bottom"/> (no older version is left for it to hide).
    /// </summary>
    public RangeTombstoneList Retain(ulong minSeq, bool bottom)
    {
        var kept = new List<RangeTombstone>(TombstoneCount);
        for (var i = 0; i < _starts.Length; i++)
        {
            foreach (var seq in _seqs[i])
            {
                if (seq > minSeq)
                {
                    kept.Add(new RangeTombstone(_starts[i], _ends[i], seq));
                }
                else
                {
                    if (!bottom)
                    {
                        kept.Add(new RangeTombstone(_starts[i], _ends[i], seq));
                    }

                    break;
                }
            }
        }

        return kept.Count == TombstoneCount ? this : Build(kept);
    }

    /// <summary>The tombstones cut to [<paramref name="from"/>, <paramref name="to"/>) (null bounds: unbounded).</summary>
    public RangeTombstoneList Clip(ReadOnlyMemory<byte>? from, ReadOnlyMemory<byte>? to)
    {
        if (IsEmpty || (from is null && to is null))
        {
            return this;
        }

        var kept = new List<RangeTombstone>();
        for (var i = 0; i < _starts.Length; i++)
        {
            var start = _starts[i];
            var end = _ends[i];
            if (from is { } f && KeyCompare.Compare(start.Span, f.Span) < 0)
            {
                start = f;
            }

            if (to is { } t && (end is not { } e || KeyCompare.Compare(e.Span, t.Span) > 0))
            {
                end = t;
            }

            if (end is { } clippedEnd && KeyCompare.Compare(start.Span, clippedEnd.Span) >= 0)
            {
                continue;
            }

            foreach (var seq in _seqs[i])
            {
                kept.Add(new RangeTombstone(start, end, seq));
            }
        }

        return Build(kept);
    }

    /// <summary>Only the tombstones with a seq at or below <paramref name="bound"/>.</summary>
    public RangeTombstoneList AtOrBelow(ulong bound)
        => MaxSeq <= bound ? this : Build(Tombstones().Where(t => t.Seq <= bound).ToList());

    private static int IndexOf(List<ReadOnlyMemory<byte>> bounds, ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = bounds.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (KeyCompare.Compare(bounds[mid].Span, key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
