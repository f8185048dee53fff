using SlateDb.Layout;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Engine;

/// <summary>
/// The rule for the WAL object store a database is opened with, against the URI its manifest records:
/// recorded none and configured none, or both the same: fine. Recorded one, configured none or another: an error
/// naming both (the WAL objects to replay are in the recorded store). Recorded none, configured one: allowed only when
/// the main store holds no WAL data still to replay (every WAL object after replay_after_wal_id is fence-sized; an
/// empty object counts as data, since it is a truncated WAL object), and then the URI is recorded once the open succeeds.
/// </summary>
internal static class WalStoreCheck
{
    /// <summary>
    /// Checks the recorded half of the rule (no I/O): when the manifest records a WAL store, the configured one must be
    /// that store. Returns the recorded URI, null when none is recorded.
    /// </summary>
    /// <param name="manifest">The manifest whose recorded URI counts.</param>
    /// <param name="paths">The database's object names.</param>
    /// <param name="walStoreUri">The configured WAL store's URI; null when the WAL lives in the main store.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) a WAL store is recorded and the configured
    /// one is missing or another; the message names both.</exception>
    public static string? CheckRecorded(ManifestData manifest, DbPaths paths, string? walStoreUri)
    {
        var recorded = manifest.HasWalObjectStoreUri ? manifest.WalObjectStoreUri : null;
        if (recorded is null || string.Equals(recorded, walStoreUri, StringComparison.Ordinal))
        {
            return recorded;
        }

        throw new SlateDbException(
            SlateDbErrorKind.Invalid,
            walStoreUri is null
                ? $"'{paths.Root}' keeps its WAL in the object store '{recorded}' (recorded in its manifest), but it was opened " +
                  $"without a WAL object store; open it with WithWalObjectStore and the store '{recorded}'."
                : $"'{paths.Root}' keeps its WAL in the object store '{recorded}' (recorded in its manifest), but it was opened " +
                  $"with the WAL object store '{walStoreUri}'; open it with the store '{recorded}'.");
    }

    /// <summary>Checks the rule; true when the configured URI must be recorded in the manifest.</summary>
    /// <param name="manifest">The latest manifest.</param>
    /// <param name="paths">The database's object names.</param>
    /// <param name="mainStore">The main store (where WAL objects live when no WAL store was recorded).</param>
    /// <param name="walStoreUri">The configured WAL store's URI; null when the WAL lives in the main store.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the configured store breaks the rule.</exception>
    public static async Task<bool> CheckAsync(
        ManifestData manifest, DbPaths paths, IObjectStore mainStore, string? walStoreUri, CancellationToken cancellationToken)
    {
        var recorded = CheckRecorded(manifest, paths, walStoreUri);
        if (recorded is not null || walStoreUri is null)
        {
            return false;
        }

        await foreach (var meta in mainStore.ListAsync(paths.WalPrefix, paths.WalSstPath(manifest.ReplayAfterWalId), cancellationToken).ConfigureAwait(false))
        {
            if (meta.Size != WalFenceObject.Length && paths.TryParseWalId(meta.Path, out var id) && id > manifest.ReplayAfterWalId)
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Invalid,
                    $"'{paths.Root}' cannot move its WAL to the object store '{walStoreUri}' yet: its main store '{mainStore.Uri}' holds " +
                    $"WAL data not yet flushed to L0 (first: '{meta.Path}'). Open it once without a WAL object store and close it " +
                    "(closing flushes the memtable to L0), then open it with the new WAL store.");
            }
        }

        return true;
    }
}
