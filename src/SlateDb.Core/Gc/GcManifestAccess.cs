using SlateDb.Manifest;
using SlateDb.Manifest.Proto;

namespace SlateDb.Gc;

/// <summary>
/// How a collector reads and changes the latest manifest: inside an open database through its
/// <see cref="ManifestKeeper"/> (epoch-checked, and the read state follows what was read), elsewhere straight through
/// the <see cref="ManifestStore"/>.
/// </summary>
internal sealed class GcManifestAccess
{
    private readonly Func<CancellationToken, Task<VersionedManifest>> _readLatest;
    private readonly Func<Func<ManifestData, ManifestData?>, CancellationToken, Task<VersionedManifest>> _update;

    private GcManifestAccess(
        Func<CancellationToken, Task<VersionedManifest>> readLatest, Func<Func<ManifestData, ManifestData?>, CancellationToken, Task<VersionedManifest>> update)
    {
        _readLatest = readLatest;
        _update = update;
    }

    /// <summary>Through the open database's keeper: reads apply the latest manifest to the read state and stand in for the next poll.</summary>
    public static GcManifestAccess ForKeeper(ManifestKeeper keeper)
        => new(keeper.RefreshForPollAsync, (mutate, ct) => keeper.UpdateAsync(mutate, cancellationToken: ct));

    /// <summary>Straight through the manifest store (an admin process).</summary>
    public static GcManifestAccess ForStore(ManifestStore store)
        => new(
            async ct => await store.TryReadLatestAsync(ct).ConfigureAwait(false)
                ?? throw new SlateDbException(SlateDbErrorKind.Invalid, $"There is no database at '{store.DbPath}' in {store.ObjectStore.Uri} (no manifest)."),
            (mutate, ct) => store.UpdateAsync(v => mutate(v.Value), ct));

    /// <summary>The latest manifest.</summary>
    public Task<VersionedManifest> ReadLatestAsync(CancellationToken cancellationToken) => _readLatest(cancellationToken);

    /// <summary>A CAS update of the latest manifest (null from <paramref name="mutate"/>: nothing to change).</summary>
    public Task<VersionedManifest> UpdateAsync(Func<ManifestData, ManifestData?> mutate, CancellationToken cancellationToken)
        => _update(mutate, cancellationToken);
}
