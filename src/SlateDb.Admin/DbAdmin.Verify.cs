using SlateDb.Checkpoints;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;
using SlateDb.Verify;

namespace SlateDb.Admin;

public sealed partial class DbAdmin
{
    /// <summary>
    /// Checks that the latest manifest (or the one <paramref name="checkpoint"/> pins) can be read back whole: every SST
    /// it references (L0, sorted runs, and a clone's SSTs under its parent's path) exists, has the size the manifest
    /// records, and its footer, index, filter, properties and every block verify; every WAL id of its replay range
    /// (<c>replay_after_wal_id</c>, <c>next_wal_sst_id</c>) exists in the WAL store and is a fence or a WAL SST that
    /// verifies. Every problem is collected with its object path; the walk does not stop at the first. Read only: safe
    /// while a writer runs (though a garbage collection racing a check of the latest manifest can remove objects a newer
    /// manifest no longer needs; verify a checkpoint for a stable result).
    /// </summary>
    /// <param name="checkpoint">The checkpoint whose pinned manifest to verify; null for the latest manifest.</param>
    /// <param name="progress">Told after each object (objects checked, objects in all, bytes read).</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The objects checked and every problem found.</returns>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database has no manifest, no
    /// checkpoint <paramref name="checkpoint"/>, or the verified manifest records a WAL store this admin was not given
    /// (the message names both URIs).</exception>
    /// <exception cref="CorruptionException">The latest manifest fails verification.</exception>
    public async Task<VerifyReport> VerifyAsync(Guid? checkpoint = null, IProgress<VerifyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var version = await ReadLatestManifestAsync(cancellationToken).ConfigureAwait(false);
        if (checkpoint is { } id)
        {
            var entry = ManifestCheckpoints.Find(version.Value, id) ?? throw ManifestCheckpoints.Missing(Path, id, "the checkpoint to verify");
            if (entry.ManifestId != version.Id)
            {
                try
                {
                    version = await Manifests.ReadAsync(entry.ManifestId, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectNotFoundException or CorruptionException)
                {
                    var detail = e is CorruptionException c ? c.Detail : "the manifest is missing";
                    var problem = new VerifyProblem(Manifests.PathOf(entry.ManifestId), $"checkpoint {id} pins manifest {entry.ManifestId}, which cannot be read: {detail}");
                    Log.VerifyProblem(Logger, Path, problem.Path, problem.Message);
                    return new VerifyReport { ManifestId = entry.ManifestId, ObjectsChecked = 0, BytesRead = 0, Problems = [problem] };
                }
            }
        }

        var verifier = new DatabaseVerifier(Store, WalStoreOf(version.Value), Paths);
        var result = await verifier.VerifyAsync(
            version.Value,
            Manifests.PathOf(version.Id),
            progress is null ? null : counts => progress.Report(new VerifyProgress(counts.ObjectsChecked, counts.ObjectsTotal, counts.BytesRead)),
            cancellationToken).ConfigureAwait(false);

        var problems = new List<VerifyProblem>(result.Problems.Count);
        foreach (var finding in result.Problems)
        {
            Log.VerifyProblem(Logger, Path, finding.Path, finding.Message);
            problems.Add(new VerifyProblem(finding.Path, finding.Message));
        }

        Log.Verified(Logger, Path, version.Id, result.ObjectsChecked, result.BytesRead, problems.Count);
        return new VerifyReport { ManifestId = version.Id, ObjectsChecked = result.ObjectsChecked, BytesRead = result.BytesRead, Problems = problems };
    }
}
