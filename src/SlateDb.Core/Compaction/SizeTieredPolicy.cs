using SlateDb.Manifest.Proto;

namespace SlateDb.Compaction;

// Size-tiered compaction picks work from the manifest's shape alone.
//
// Invariants
//  1. An L0 compaction takes a consecutive tail of the L0 list (the oldest SSTs) and writes a run whose id is above
//     every run's, so the output sits between the L0 SSTs left (newer) and every existing run (older): the newest-first
//     source order of reads stays the order of the data's age. At most one L0 compaction runs at a time, so two of
//     them never race to place runs.
//  2. A run compaction takes consecutive runs and writes into the oldest one's id, so the output keeps its place.
//  3. No input is taken by two running compactions.
//  4. The output is the bottom (its tombstones may be dropped) only when no run older than every input exists.
//
// Outline
//   L0 count >= threshold and no L0 compaction running → the oldest min(count, max) L0 SSTs → run max(id) + 1.
//   Else, for each run i newest first: extend to older runs while each is at most SizeRatio × the smallest taken and
//   none is busy; >= MinSortedRunsToMerge members (capped at the oldest Max…) → merge into the oldest member's id.

/// <summary>Chooses the next compactions (pure: manifest and running work in, specs out).</summary>
internal static class SizeTieredPolicy
{
    /// <summary>The compactions to start now, at most <paramref name="slots"/>.</summary>
    /// <param name="manifest">The current manifest.</param>
    /// <param name="settings">The thresholds.</param>
    /// <param name="running">The compactions already running.</param>
    /// <param name="slots">How many more may start.</param>
    public static List<CompactionSpec> Pick(ManifestData manifest, CompactorSettings settings, IReadOnlyCollection<CompactionSpec> running, int slots)
    {
        var picked = new List<CompactionSpec>();
        if (slots <= 0)
        {
            return picked;
        }

        var busyRuns = new HashSet<uint>();
        var l0Running = false;
        foreach (var job in running)
        {
            l0Running |= job.TakesL0;
            busyRuns.Add(job.OutputRunId);
            foreach (var run in job.Runs)
            {
                busyRuns.Add(run.Id);
            }
        }

        if (!l0Running && PickL0(manifest, settings) is { } l0)
        {
            picked.Add(l0);
        }

        if (picked.Count < slots && PickRuns(manifest, settings, busyRuns) is { } runs)
        {
            picked.Add(runs);
        }

        return picked;
    }

    /// <summary>The L0 compaction due now, or null.</summary>
    public static CompactionSpec? PickL0(ManifestData manifest, CompactorSettings settings)
    {
        var count = manifest.L0.Count;
        if (count < settings.L0CompactionThreshold)
        {
            return null;
        }

        var take = Math.Min(count, settings.MaxL0SstsPerCompaction);
        var l0 = manifest.L0.Skip(count - take).ToList();
        uint nextId = 0;
        foreach (var run in manifest.SortedRuns)
        {
            nextId = Math.Max(nextId, run.Id + 1);
        }

        return new CompactionSpec(l0, [], nextId, IsBottom: manifest.SortedRuns.Count == 0);
    }

    /// <summary>The run compaction due now (no run in <paramref name="busy"/>), or null.</summary>
    public static CompactionSpec? PickRuns(ManifestData manifest, CompactorSettings settings, IReadOnlySet<uint> busy)
    {
        var runs = manifest.SortedRuns;
        for (var start = 0; start < runs.Count; start++)
        {
            if (busy.Contains(runs[start].Id))
            {
                continue;
            }

            var smallest = CompactionSpec.SizeOf(runs[start]);
            var end = start + 1;   // exclusive
            while (end < runs.Count && !busy.Contains(runs[end].Id))
            {
                var size = CompactionSpec.SizeOf(runs[end]);
                if (size > settings.SizeRatio * Math.Max(smallest, 1))
                {
                    break;
                }

                smallest = Math.Min(smallest, size);
                end++;
            }

            if (end - start < settings.MinSortedRunsToMerge)
            {
                continue;
            }

            // Too many similar runs: keep the oldest ones (the newest extras wait for the next round).
            var first = Math.Max(start, end - settings.MaxSortedRunsPerCompaction);
            var taken = runs.Skip(first).Take(end - first).ToList();
            return new CompactionSpec([], taken, taken[^1].Id, IsBottom: end == runs.Count);
        }

        return null;
    }
}
