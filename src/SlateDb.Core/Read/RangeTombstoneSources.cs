namespace SlateDb.Read;

/// <summary>Gathers the range tombstones every source of a read state holds for a key range.</summary>
internal static class RangeTombstoneSources
{
    /// <summary>
    /// The range tombstones at or below <paramref name="bound"/> of the memtables and of the SSTs whose manifest entry
    /// says they have some and whose reach overlaps <paramref name="range"/>, together. SSTs without range tombstones
    /// are not opened.
    /// </summary>
    public static async ValueTask<RangeTombstoneList> CollectAsync(
        DbState state, KeyRange range, ulong bound, TableCache tables, CancellationToken cancellationToken)
    {
        List<RangeTombstoneList>? lists = null;
        Add(ref lists, state.Active.RangeTombstones);
        foreach (var frozen in state.Immutables)
        {
            Add(ref lists, frozen.RangeTombstones);
        }

        foreach (var table in state.L0)
        {
            if (table.HasRangeTombstones && table.Overlaps(range))
            {
                Add(ref lists, (await tables.GetAsync(table, cancellationToken).ConfigureAwait(false)).RangeTombstones);
            }
        }

        foreach (var run in state.SortedRuns)
        {
            foreach (var table in run.Tables)
            {
                if (table.HasRangeTombstones && table.Overlaps(range))
                {
                    Add(ref lists, (await tables.GetAsync(table, cancellationToken).ConfigureAwait(false)).RangeTombstones);
                }
            }
        }

        return lists is null ? RangeTombstoneList.Empty : RangeTombstoneList.Combine(lists).AtOrBelow(bound);
    }

    private static void Add(ref List<RangeTombstoneList>? lists, RangeTombstoneList tombstones)
    {
        if (!tombstones.IsEmpty)
        {
            (lists ??= []).Add(tombstones);
        }
    }
}
