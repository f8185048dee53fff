using SlateDb.Infrastructure;
using SlateDb.Manifest.Proto;

namespace SlateDb.Manifest;

/// <summary>The first manifests of new databases and of clones.</summary>
internal static class ManifestDefaults
{
    /// <summary>
    /// Manifest 1 of a new database: initialized, both epochs 0, <c>next_wal_sst_id</c> 1,
    /// <c>replay_after_wal_id</c> 0, <c>last_l0_seq</c> 0, no clock tick, no SSTs, checkpoints or parents.
    /// </summary>
    public static ManifestData NewDatabase() => new()
    {
        Initialized = true,
        WriterEpoch = 0,
        CompactorEpoch = 0,
        NextWalSstId = 1,
        ReplayAfterWalId = 0,
        LastL0Seq = 0,
        L0ClockTick = ManifestData.NoClockTick,
    };

    /// <summary>
    /// Manifest 1 of a clone of <paramref name="parentPath"/>, built from the parent manifest that
    /// <paramref name="sourceCheckpointId"/> pins: not initialized (until its WAL copy finished), the
    /// parent's SSTs, epochs and sequence/WAL state inherited, checkpoints and the WAL store URI cleared.
    /// Its <c>external_dbs</c> are the parent's own parents (re-keyed: their old final checkpoint becomes
    /// the source, with a new final checkpoint id each) plus the parent itself with every SST it owns.
    /// </summary>
    /// <param name="parent">The manifest the source checkpoint pins (not modified).</param>
    /// <param name="parentPath">The parent's database path.</param>
    /// <param name="sourceCheckpointId">The parent checkpoint the clone is built from.</param>
    /// <param name="finalCheckpointId">The id of the permanent checkpoint the clone will own in the parent.</param>
    /// <param name="random">Mints the final checkpoint ids of inherited parents.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the parent is not initialized, or one of its parents has no final checkpoint.</exception>
    public static ManifestData ForClone(ManifestData parent, string parentPath, Guid sourceCheckpointId, Guid finalCheckpointId, DbRandom random)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(random);
        Layout.DbPaths.ValidateDbPath(parentPath, nameof(parentPath));
        if (!parent.Initialized)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid, $"The database '{parentPath}' is itself an unfinished clone and cannot be cloned.");
        }

        var clone = parent.Clone();
        clone.Initialized = false;
        clone.Checkpoints.Clear();
        clone.ClearWalObjectStoreUri();
        clone.ExternalDbs.Clear();

        var inherited = new HashSet<Ulid>();
        foreach (var grandparent in parent.ExternalDbs)
        {
            if (grandparent.FinalCheckpointId is null)
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Invalid,
                    $"The database '{parentPath}' references '{grandparent.Path}' without a final checkpoint; it cannot be cloned.");
            }

            var entry = new ExternalDb
            {
                Path = grandparent.Path,
                SourceCheckpointId = grandparent.FinalCheckpointId.Clone(),
                FinalCheckpointId = Uuid.FromGuid(random.NextGuid()),
            };
            entry.SstIds.AddRange(grandparent.SstIds.Select(id => id.Clone()));
            clone.ExternalDbs.Add(entry);
            foreach (var id in grandparent.SstIds)
            {
                inherited.Add(id.ToUlid());
            }
        }

        var self = new ExternalDb
        {
            Path = parentPath,
            SourceCheckpointId = Uuid.FromGuid(sourceCheckpointId),
            FinalCheckpointId = Uuid.FromGuid(finalCheckpointId),
        };
        var owned = new HashSet<Ulid>();
        foreach (var handle in parent.L0.Concat(parent.SortedRuns.SelectMany(run => run.Ssts)))
        {
            var id = handle.Id.ToUlid();
            if (!inherited.Contains(id) && owned.Add(id))
            {
                self.SstIds.Add(SstId.FromUlid(id));
            }
        }

        clone.ExternalDbs.Add(self);
        return clone;
    }
}
