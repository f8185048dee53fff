using SlateDb.Checkpoints;
using SlateDb.Engine;
using SlateDb.Infrastructure;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;

namespace SlateDb.Reader;

// The short-lived checkpoint a following read-only view keeps, so garbage collection leaves every SST and WAL object
// it reads (upstream's "managed checkpoint").
//
// Invariants
//  1. Whenever the manifest's SSTs (L0, sorted runs, last_l0_seq, clone parents) differ from the view's, one manifest
//     update removes the old checkpoint and adds a new one pinning the very version that update writes; the view then
//     moves to that version. So the view always reads a manifest its checkpoint pins (or one with the same SSTs).
//  2. Otherwise the checkpoint's expiry is pushed out once less than half its lifetime is left; a checkpoint that GC
//     removed meanwhile (the view stalled past its lifetime) is added again.
//  3. Deleting it on close is best effort: a failure is logged, and the checkpoint expires by itself.

/// <summary>Creates, moves, refreshes and deletes a following view's checkpoint.</summary>
internal sealed class ReaderCheckpoint
{
    /// <summary>The name the view's checkpoints carry (so operators can tell them apart).</summary>
    public const string Name = "db-reader";

    private readonly EngineServices _services;
    private readonly TimeSpan _lifetime;
    private DateTimeOffset _expires;

    public ReaderCheckpoint(ManifestKeeper keeper, EngineServices services, TimeSpan lifetime)
    {
        Keeper = keeper;
        _services = services;
        _lifetime = lifetime;
    }

    /// <summary>The view's manifest changes and refreshes.</summary>
    public ManifestKeeper Keeper { get; }

    /// <summary>The checkpoint's id; null before the first pin and after deletion.</summary>
    public Guid? Id { get; private set; }

    /// <summary>Whether the SSTs a read consults differ between two manifests.</summary>
    public static bool SstsChanged(ManifestData a, ManifestData b)
        => a.LastL0Seq != b.LastL0Seq || !a.L0.Equals(b.L0) || !a.SortedRuns.Equals(b.SortedRuns) || !a.ExternalDbs.Equals(b.ExternalDbs);

    /// <summary>
    /// Pins <paramref name="latest"/> if its SSTs differ from <paramref name="view"/>'s (or no checkpoint exists yet),
    /// else refreshes the checkpoint when due; returns the version the view reads next.
    /// </summary>
    public async Task<VersionedManifest> PinAsync(VersionedManifest latest, VersionedManifest view, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = _services.Time.GetUtcNow();
            var repin = Id is null || SstsChanged(latest.Value, view.Value) || ManifestCheckpoints.Find(latest.Value, Id.Value) is null;
            if (!repin && _expires - now > _lifetime / 2)
            {
                return latest;
            }

            var old = Id;
            var id = repin ? _services.Random.NextGuid() : old!.Value;
            var options = new CheckpointOptions { Lifetime = _lifetime, Name = Name };
            var written = await Keeper.UpdateVersionedAsync(
                version =>
                {
                    var manifest = version.Value;
                    if (repin && old is { } previous)
                    {
                        ManifestCheckpoints.Remove(manifest, previous);
                    }

                    if (ManifestCheckpoints.Find(manifest, id) is null)
                    {
                        ManifestCheckpoints.Add(manifest, version.Id + 1, id, options, now, _services.DbPath);
                    }
                    else
                    {
                        ManifestCheckpoints.Refresh(manifest, id, _lifetime, now, _services.DbPath);
                    }

                    return manifest;
                },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            Id = id;
            _expires = now + _lifetime;

            // A refresh that landed on a version whose SSTs moved on pins nothing new: go round and pin that version.
            if (!repin && SstsChanged(written.Value, view.Value))
            {
                latest = written;
                continue;
            }

            return written;
        }
    }

    /// <summary>Deletes the checkpoint (best effort: a failure is logged; it expires by itself).</summary>
    public async Task DeleteAsync()
    {
        if (Id is not { } id)
        {
            return;
        }

        try
        {
            await Keeper.UpdateAsync(m => ManifestCheckpoints.Remove(m, id) ? m : null).ConfigureAwait(false);
            Id = null;
        }
        catch (Exception e) when (e is SlateDbException or ObjectStore.ObjectStoreException or TimeoutException)
        {
            Log.ReaderCheckpointNotDeleted(_services.Logger, _services.DbPath, id, e);
        }
    }
}
