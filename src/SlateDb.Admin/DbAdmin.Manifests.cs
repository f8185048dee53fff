using SlateDb.Engine;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Admin;

public sealed partial class DbAdmin
{
    /// <summary>Reads manifest <paramref name="id"/>, or the latest one when <paramref name="id"/> is null.</summary>
    /// <param name="id">The manifest id; null for the current (highest) one.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database has no manifest at all,
    /// or none with that id (never written, or garbage-collected); the message names the path and store.</exception>
    /// <exception cref="CorruptionException">The manifest fails verification.</exception>
    public async Task<Manifest> ReadManifestAsync(ulong? id = null, CancellationToken cancellationToken = default)
    {
        var version = id is { } wanted
            ? await ReadManifestVersionAsync(wanted, cancellationToken).ConfigureAwait(false)
            : await ReadLatestManifestAsync(cancellationToken).ConfigureAwait(false);
        return Manifest.From(version.Id, version.Value);
    }

    /// <summary>
    /// Lists the manifest objects in the store with ids in [<paramref name="fromId"/>, <paramref name="toId"/>] (both
    /// inclusive; null for no bound), ascending. Empty when the database has none.
    /// </summary>
    /// <param name="fromId">The lowest id to list; null for no lower bound.</param>
    /// <param name="toId">The highest id to list; null for no upper bound.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <exception cref="ArgumentException"><paramref name="fromId"/> is greater than <paramref name="toId"/>.</exception>
    public async Task<IReadOnlyList<ManifestInfo>> ListManifestsAsync(ulong? fromId = null, ulong? toId = null, CancellationToken cancellationToken = default)
    {
        if (fromId > toId)
        {
            throw new ArgumentException($"The manifest id range is inverted: fromId {fromId} is greater than toId {toId}.", nameof(fromId));
        }

        var found = new List<ManifestInfo>();
        await foreach (var info in Manifests.ListAsync(fromId, toId, cancellationToken).ConfigureAwait(false))
        {
            found.Add(new ManifestInfo(info.Id, info.Meta.LastModified, info.Meta.Size));
        }

        return found;
    }

    /// <summary>The latest manifest.</summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database has no manifest.</exception>
    internal async Task<VersionedManifest> ReadLatestManifestAsync(CancellationToken cancellationToken)
        => await Manifests.TryReadLatestAsync(cancellationToken).ConfigureAwait(false)
           ?? throw new SlateDbException(
               SlateDbErrorKind.Invalid,
               $"There is no database at '{Path}' in the object store '{Store.Uri}': it has no manifest (nothing under '{Paths.ManifestPrefix}').");

    /// <summary>Manifest <paramref name="id"/>.</summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) no manifest has that id.</exception>
    internal async Task<VersionedManifest> ReadManifestVersionAsync(ulong id, CancellationToken cancellationToken)
    {
        try
        {
            return await Manifests.ReadAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException e)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"The database '{Path}' has no manifest {id} ('{Manifests.PathOf(id)}' is not in the object store '{Store.Uri}'; it was never " +
                "written or was garbage-collected); list the manifests to see which exist.",
                e);
        }
    }

    /// <summary>
    /// The store holding the WAL objects <paramref name="manifest"/> names: the WAL store it records (which must be this
    /// admin's), else the main store.
    /// </summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the manifest records a WAL store and
    /// this admin has none or another; the message names both URIs.</exception>
    internal IObjectStore WalStoreOf(ManifestData manifest)
        => WalStoreCheck.CheckRecorded(manifest, Paths, SeparateWalStore?.Uri) is null ? Store : WalStore;

    private static string? RecordedWalUri(ManifestData manifest) => manifest.HasWalObjectStoreUri ? manifest.WalObjectStoreUri : null;
}
