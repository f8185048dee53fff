using SlateDb.Memtables;
using SlateDb.Read;
using SlateDb.Wal;

namespace SlateDb.Engine;

// A read-only view that becomes the writer (DbReader.PromoteAsync) hands over what it already holds, so the open
// replays only the WAL it has not seen and reads from warm SST readers and blocks.
//
// Invariants
//  1. The memtables hold every row of the WAL objects (base, ThroughWalId] with seq above the view's last_l0_seq, where
//     base <= the replay_after_wal_id of any manifest the claim can see (the view followed older or equal manifests,
//     and replay_after_wal_id never moves back); rows at or below the claimed last_l0_seq are already in L0 and are
//     skipped, exactly as WAL replay skips them.
//  2. They are applied oldest first, one replayed batch per memtable stamped with its own last WAL id, so a memtable the
//     write loop freezes meanwhile never claims a WAL id whose rows it lacks.
//  3. When the WAL the open settled does not reach past ThroughWalId (the view read objects the open no longer lists),
//     nothing warm is used and the open replays the whole range from the store.

/// <summary>What a promoted read-only view hands the writer it becomes.</summary>
/// <param name="Memtables">The view's replayed memtables, oldest first, each stamped with the last WAL id replayed into it.</param>
/// <param name="ThroughWalId">The last WAL id the view replayed completely.</param>
/// <param name="Tables">The view's open SST readers and block cache.</param>
internal sealed record WarmStart(IReadOnlyList<ImmutableMemtable> Memtables, ulong ThroughWalId, TableCache Tables)
{
    /// <summary>
    /// Applies the warm rows newer than <paramref name="lastL0Seq"/> to <paramref name="target"/> and returns the range
    /// still to replay from the store (and the rows applied); <paramref name="range"/> itself when nothing warm applies.
    /// </summary>
    public async Task<(WalRange Range, long Rows)> ApplyAsync(WalRange range, ulong lastL0Seq, IReplayTarget target, CancellationToken cancellationToken)
    {
        if (ThroughWalId <= range.ReplayAfter || ThroughWalId >= range.MissingFrom)
        {
            return (range, 0);
        }

        long rows = 0;
        foreach (var memtable in Memtables)
        {
            var iterator = memtable.CreateIterator(KeyRange.All);
            await using (iterator.ConfigureAwait(false))
            {
                while (await iterator.MoveNextAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (iterator.Current.Seq > lastL0Seq)
                    {
                        target.ApplyReplayed(iterator.Current);
                        rows++;
                    }
                }
            }

            target.EndReplayedBatch(memtable.LastWalId);
        }

        return (range with { ReplayAfter = ThroughWalId }, rows);
    }
}
