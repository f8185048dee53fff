using SlateDb.Manifest.Proto;

namespace SlateDb.Compaction;

/// <summary>
/// One compaction: the oldest L0 SSTs and/or consecutive sorted runs to merge, and the run the result becomes.
/// </summary>
/// <param name="L0">The L0 SSTs taken, newest first (a consecutive tail of the manifest's L0 list).</param>
/// <param name="Runs">The sorted runs taken, newest first (consecutive in the manifest's run list).</param>
/// <param name="OutputRunId">The id of the run written: a new id above every run for L0, the oldest input run's id otherwise.</param>
/// <param name="IsBottom">Whether the output is the oldest run of the tree (tombstones may then be dropped).</param>
internal sealed record CompactionSpec(IReadOnlyList<SstHandle> L0, IReadOnlyList<SortedRun> Runs, uint OutputRunId, bool IsBottom)
{
    /// <summary>Whether the compaction takes L0 SSTs.</summary>
    public bool TakesL0 => L0.Count > 0;

    /// <summary>The bytes of every input SST.</summary>
    public long InputBytes
    {
        get
        {
            long total = 0;
            foreach (var h in L0)
            {
                total += (long)h.Size;
            }

            foreach (var run in Runs)
            {
                total += SizeOf(run);
            }

            return total;
        }
    }

    /// <summary>The bytes of a run's SSTs.</summary>
    public static long SizeOf(SortedRun run)
    {
        long total = 0;
        foreach (var h in run.Ssts)
        {
            total += (long)h.Size;
        }

        return total;
    }

    /// <inheritdoc />
    public override string ToString()
        => $"{L0.Count} L0 SSTs + runs [{string.Join(", ", Runs.Select(r => r.Id))}] → run {OutputRunId}{(IsBottom ? " (bottom)" : "")}";
}
