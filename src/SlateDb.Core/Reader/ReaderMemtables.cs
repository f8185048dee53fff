using SlateDb.Format;
using SlateDb.Memtables;
using SlateDb.Read;
using SlateDb.Wal;

namespace SlateDb.Reader;

// A read-only view's memtables: the rows of the WAL objects it replayed that are not yet in L0.
//
// Invariants
//  1. Only the view's refresh (one at a time) writes here; reads walk the DbState snapshot without locks.
//  2. A replayed batch becomes visible whole (Memtable.Stage, then Commit at the end of the batch), so a read never
//     sees part of a write batch.
//  3. Each frozen memtable is stamped with the last WAL id replayed completely when it froze; the active one's stamp is
//     ThroughWalId. Together they hold every row of the WAL objects they came from above the manifest's last_l0_seq.
//  4. A memtable leaves the state, in the same swap that installs the manifest's L0, only when all its rows are at or
//     below that manifest's last_l0_seq (then L0 holds them all).

/// <summary>The memtables a read-only view replays the WAL into.</summary>
internal sealed class ReaderMemtables : IReplayTarget
{
    private readonly DbStateHolder _state;
    private readonly long _freezeBytes;

    public ReaderMemtables(DbStateHolder state, long freezeBytes)
    {
        _state = state;
        _freezeBytes = freezeBytes;
    }

    /// <summary>The last WAL id replayed completely.</summary>
    public ulong ThroughWalId { get; private set; }

    /// <summary>The highest sequence number replayed.</summary>
    public ulong LastSeq { get; private set; }

    /// <inheritdoc/>
    public void ApplyReplayed(in Row row)
    {
        _state.Current.Active.Stage(row);
        LastSeq = Math.Max(LastSeq, row.Seq);
    }

    /// <inheritdoc/>
    public void EndReplayedBatch(ulong lastCompleteWalId)
    {
        var active = _state.Current.Active;
        active.Commit();
        ThroughWalId = Math.Max(ThroughWalId, lastCompleteWalId);
        if (active.SizeBytes >= _freezeBytes)
        {
            Freeze();
        }
    }

    /// <summary>Moves the tail position forward to <paramref name="walId"/> (a manifest whose L0 holds everything before it).</summary>
    public void SkipTo(ulong walId) => ThroughWalId = Math.Max(ThroughWalId, walId);

    /// <summary>With the memtables whose rows are all at or below <paramref name="lastL0Seq"/> removed from <paramref name="state"/>.</summary>
    public static DbState WithoutFlushed(DbState state, ulong lastL0Seq)
    {
        var immutables = Array.FindAll(state.Immutables, m => m.MaxSeq > lastL0Seq);
        var active = state.Active.IsEmpty || state.Active.MaxSeq > lastL0Seq ? state.Active : new Memtables.Memtable();
        return state with { Active = active, Immutables = immutables };
    }

    /// <summary>Freezes the active memtable (stamped with <see cref="ThroughWalId"/>) and returns every memtable, oldest first.</summary>
    public IReadOnlyList<ImmutableMemtable> FreezeAll()
    {
        Freeze();
        var immutables = _state.Current.Immutables;
        var oldestFirst = new ImmutableMemtable[immutables.Length];
        for (var i = 0; i < immutables.Length; i++)
        {
            oldestFirst[i] = immutables[immutables.Length - 1 - i];
        }

        return oldestFirst;
    }

    private void Freeze()
    {
        if (_state.Current.Active.IsEmpty)
        {
            return;
        }

        var frozen = _state.Current.Active.Freeze(ThroughWalId);
        _state.Update(s => s.WithFrozen(frozen, new Memtables.Memtable()));
    }
}
