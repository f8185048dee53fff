using SlateDb.Manifest.Proto;

namespace SlateDb.Compaction;

// The manifest change that publishes a compaction. It is a mutation of the latest manifest (re-applied on every CAS
// conflict), so it merges with whatever the writer did meanwhile instead of overwriting it.
//
// Invariants
//  1. It removes exactly its inputs: the L0 SSTs by id (the writer inserts new ones at the front concurrently, so
//     positions move) and the input runs by id; it inserts the output run in descending-id order. Every other field
//     (the writer's L0 additions, WAL watermarks, seqs, checkpoints) is left as the latest manifest has it.
//  2. It is idempotent: when the output run is already there and no input is (an earlier attempt landed but was
//     reported as a conflict), it changes nothing.
//  3. Inputs that vanished any other way are an invariant violation (only this compactor epoch removes them),
//     reported as SlateDbErrorKind.Internal; nothing is written.
//  4. l0_last_compacted moves to the newest L0 SST consumed; clone parents' SST id lists drop ids no longer
//     referenced.

/// <summary>Applies a finished compaction to a manifest.</summary>
internal static class CompactionPublication
{
    /// <summary>
    /// Changes <paramref name="manifest"/> (a clone the caller owns): inputs out, output run in. Returns null when it
    /// already holds the change.
    /// </summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Internal"/>) an input is missing.</exception>
    public static ManifestData? Apply(ManifestData manifest, CompactionSpec spec, IReadOnlyList<SstHandle> outputs, string dbPath)
    {
        var l0Ids = spec.L0.Select(h => h.Id).ToHashSet();
        var runIds = spec.Runs.Select(r => r.Id).ToHashSet();
        var l0Present = manifest.L0.Count(h => l0Ids.Contains(h.Id));
        var runsPresent = manifest.SortedRuns.Count(r => runIds.Contains(r.Id) && SameSsts(r, spec.Runs.First(s => s.Id == r.Id)));
        if (l0Present == 0 && AlreadyPublished(manifest, spec, outputs, runsPresent))
        {
            return null;
        }

        if (l0Present != l0Ids.Count || runsPresent != runIds.Count)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Internal,
                $"Publishing the compaction {spec} of '{dbPath}': {l0Ids.Count - l0Present} of its L0 SSTs and " +
                $"{runIds.Count - runsPresent} of its runs are no longer in the manifest (or changed); only the compactor removes them.");
        }

        for (var i = manifest.L0.Count - 1; i >= 0; i--)
        {
            if (l0Ids.Contains(manifest.L0[i].Id))
            {
                manifest.L0.RemoveAt(i);
            }
        }

        for (var i = manifest.SortedRuns.Count - 1; i >= 0; i--)
        {
            if (runIds.Contains(manifest.SortedRuns[i].Id))
            {
                manifest.SortedRuns.RemoveAt(i);
            }
        }

        if (outputs.Count > 0)
        {
            var run = new SortedRun { Id = spec.OutputRunId };
            run.Ssts.AddRange(outputs);
            var at = 0;
            while (at < manifest.SortedRuns.Count && manifest.SortedRuns[at].Id > spec.OutputRunId)
            {
                at++;
            }

            if (at < manifest.SortedRuns.Count && manifest.SortedRuns[at].Id == spec.OutputRunId)
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Internal, $"Publishing the compaction {spec} of '{dbPath}': run {spec.OutputRunId} already exists.");
            }

            manifest.SortedRuns.Insert(at, run);
        }

        if (spec.TakesL0)
        {
            manifest.L0LastCompacted = spec.L0[0].Id.Clone();
        }

        PruneExternal(manifest);
        return manifest;
    }

    private static bool AlreadyPublished(ManifestData manifest, CompactionSpec spec, IReadOnlyList<SstHandle> outputs, int runsPresent)
    {
        if (outputs.Count == 0)
        {
            // No output run to find: published exactly when no input is left.
            return runsPresent == 0;
        }

        var output = manifest.SortedRuns.FirstOrDefault(r => r.Id == spec.OutputRunId);
        return output is not null && output.Ssts.Count == outputs.Count && output.Ssts.Select(h => h.Id).SequenceEqual(outputs.Select(h => h.Id));
    }

    private static bool SameSsts(SortedRun a, SortedRun b)
        => a.Ssts.Count == b.Ssts.Count && a.Ssts.Select(h => h.Id).SequenceEqual(b.Ssts.Select(h => h.Id));

    private static void PruneExternal(ManifestData manifest)
    {
        if (manifest.ExternalDbs.Count == 0)
        {
            return;
        }

        var referenced = manifest.L0.Select(h => h.Id).Concat(manifest.SortedRuns.SelectMany(r => r.Ssts).Select(h => h.Id)).ToHashSet();
        foreach (var db in manifest.ExternalDbs)
        {
            for (var i = db.SstIds.Count - 1; i >= 0; i--)
            {
                if (!referenced.Contains(db.SstIds[i]))
                {
                    db.SstIds.RemoveAt(i);
                }
            }
        }
    }
}
