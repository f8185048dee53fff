namespace SlateDb.Read;

// The visibility bound of a read, and the read state it is paired with.
//
// Why they are taken together: a memtable flush keeps, of each key, every version above its retention boundary (the
// lowest open snapshot or transaction, else the memtable's last seq) and the newest version at or below it; a
// compaction does the same at the manifest's recent_snapshot_min_seq, which comes from those boundaries. A read at the
// visible seq is not registered as a snapshot. It is exact only on a read state whose SSTs were all published before
// its bound was read: every boundary they were written with is then at or below the bound, so the newest version at or
// below the bound survived in them. Reading the bound first and the state later is not: a memtable holding a newer
// version of a key (which dropped the older one) could be flushed and published in between, and the read would find
// an older version of that key, or none, although the write of the newer-but-visible one completed before it began.
//
// Invariants
//  1. Take and SnapshotPins.Pin return a state that was current when the bound was read: they read the state, then
//     the bound, then the state again, and retry if it moved. States are immutable and replaced whole, so an unchanged
//     reference means nothing was frozen or published in between.
//  2. A bound fixed in advance (a registered snapshot's or transaction's seq, a read replica's MaxValue) needs no
//     pairing: the registration holds the retention boundary at or below it. Lowering any bound to the durable seq
//     (DurabilityLevel.Remote) reads that seq, so it is paired like the visible seq.
//  3. The durable seq is paired too: an L0 is published only after the WAL holding its rows is durable, so a state
//     current when the durable seq is read holds no SST written with a boundary above it.

/// <summary>The seqs a read at the current moment is bounded by.</summary>
internal interface IReadSeqs
{
    /// <summary>The highest seq every lower write of which is in the memtable (<see cref="Write.WriteLoop.VisibleSeq"/>).</summary>
    ulong VisibleSeq { get; }

    /// <summary>The highest seq every lower write of which is durable (<see cref="Write.WriteLoop.DurableSeq"/>).</summary>
    ulong DurableSeq { get; }
}

/// <summary>How a read's visibility bound is found: a fixed seq, or the visible seq when the read starts; either lowered to the durable seq on request.</summary>
internal readonly struct ReadBound
{
    private readonly IReadSeqs? _seqs;
    private readonly ulong _seq;
    private readonly bool _visible;
    private readonly bool _durableOnly;

    private ReadBound(IReadSeqs? seqs, ulong seq, bool visible, bool durableOnly)
    {
        _seqs = seqs;
        _seq = seq;
        _visible = visible;
        _durableOnly = durableOnly;
    }

    /// <summary>Whether the bound is known in advance, so any state may be read with it (invariant 2).</summary>
    public bool IsFixed => !_visible && !_durableOnly;

    /// <summary>A fixed bound (a read replica's <see cref="ulong.MaxValue"/>).</summary>
    public static ReadBound At(ulong seq) => new(null, seq, visible: false, durableOnly: false);

    /// <summary>A registered snapshot's or transaction's seq, lowered to the durable seq when <paramref name="readOptions"/> asks for durable data only.</summary>
    public static ReadBound AtSnapshot(IReadSeqs seqs, ulong seq, ReadOptions? readOptions)
        => new(seqs, seq, visible: false, DurableOnly(readOptions));

    /// <summary>The visible seq when the read starts, lowered to the durable seq when <paramref name="readOptions"/> asks for durable data only.</summary>
    public static ReadBound Visible(IReadSeqs seqs, ReadOptions? readOptions)
        => new(seqs, 0, visible: true, DurableOnly(readOptions));

    /// <summary>The bound now.</summary>
    public ulong Read()
    {
        var bound = _visible ? _seqs!.VisibleSeq : _seq;
        return _durableOnly ? Math.Min(bound, _seqs!.DurableSeq) : bound;
    }

    /// <summary>The current state of <paramref name="holder"/> and a bound read while it was current (invariant 1).</summary>
    public DbState Take(DbStateHolder holder, out ulong bound)
    {
        while (true)
        {
            var state = holder.Current;
            bound = Read();
            if (IsFixed || ReferenceEquals(state, holder.Current))
            {
                return state;
            }
        }
    }

    private static bool DurableOnly(ReadOptions? readOptions) => readOptions?.DurabilityFilter == DurabilityLevel.Remote;
}
