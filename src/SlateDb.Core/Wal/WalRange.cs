using SlateDb.Layout;

namespace SlateDb.Wal;

// The WAL range an open replays, settled from one LIST of wal/ after replay_after_wal_id and the manifest, before
// anything is written (the open runs this check once before claiming the epoch, and again after).
//
// Invariants
//  1. WAL ids are dense: every id in (replay_after_wal_id, last listed id] exists. A missing id with a later object is
//     corruption in both recovery modes (the WAL was truncated, or the later object is a stray).
//  2. Ids are plausible: no listed id lies more than MaxIdsAhead beyond next_wal_sst_id (a writer's ids pass the
//     manifest's next_wal_sst_id only by the WAL objects it stores between two memtable flushes or closes, each holding
//     at least one write, plus one fence per open), and the manifest's own WAL ids stay at or below MaxManifestWalId, so
//     a fence id and the ids after it never overflow. Anything else is a stray object: CorruptionException naming it.
//  3. Ids below next_wal_sst_id were stored (the manifest only records ids a writer stored). Strict: one missing at
//     the end of the range is data loss and fails the open naming the ids. TolerateCorruptTail: a missing tail is
//     accepted (the open logs it), the fence goes at next_wal_sst_id so no id is ever used twice, replay skips the
//     missing ids and the open then moves replay_after_wal_id past them. When the WAL store is being adopted (none
//     recorded, one configured) the ids below next_wal_sst_id live in the old store and are treated the same way.
//  4. A zero-byte object is never a fence (fences are WalFenceObject.Length bytes): Strict fails naming it;
//     TolerateCorruptTail fails when a later listed object is not fence-sized (it cannot be the tail).

/// <summary>The WAL range an open replays and where its fence goes.</summary>
/// <param name="ReplayAfter">The manifest's replay_after_wal_id.</param>
/// <param name="MissingFrom">The first id after the listed objects (ids in [this, <paramref name="FirstFenceId"/>) are missing and skipped).</param>
/// <param name="FirstFenceId">The first id the fence may take: past every listed object and every id the manifest gave out.</param>
internal readonly record struct WalRange(ulong ReplayAfter, ulong MissingFrom, ulong FirstFenceId)
{
    /// <summary>How far beyond the manifest's next_wal_sst_id a WAL id may lie: 2^32.</summary>
    public const ulong MaxIdsAhead = 1UL << 32;

    /// <summary>The largest next_wal_sst_id or replay_after_wal_id a manifest may hold: 2^63.</summary>
    public const ulong MaxManifestWalId = 1UL << 63;

    /// <summary>What is wrong with a zero-byte object in the replay range.</summary>
    public const string EmptyDetail = "the WAL object is empty (zero bytes): it is neither a WAL SST nor a fence (a truncated WAL object)";

    /// <summary>Whether ids the manifest gave out are missing at the end of the WAL.</summary>
    public bool HasMissingTail => MissingFrom < FirstFenceId;

    /// <summary>Checks a WAL listing against the manifest and settles the range.</summary>
    /// <param name="listed">The WAL objects after <paramref name="replayAfter"/>, in id order.</param>
    /// <param name="replayAfter">The manifest's replay_after_wal_id.</param>
    /// <param name="nextWalSstId">The manifest's next_wal_sst_id.</param>
    /// <param name="manifestPath">The manifest the ids come from (named when they are implausible).</param>
    /// <param name="mode">The recovery mode.</param>
    /// <param name="paths">The database's object names.</param>
    /// <param name="walStoreUri">The WAL store listed (for messages).</param>
    /// <param name="adoptingWalStore">The WAL store is being adopted: ids the manifest gave out live in the main store.</param>
    /// <exception cref="CorruptionException">A stray or missing WAL object, an empty one, or implausible manifest ids; the path names it.</exception>
    public static WalRange Check(
        IReadOnlyList<WalObjectInfo> listed,
        ulong replayAfter,
        ulong nextWalSstId,
        string manifestPath,
        WalRecoveryMode mode,
        DbPaths paths,
        string walStoreUri,
        bool adoptingWalStore)
    {
        if (replayAfter > MaxManifestWalId || nextWalSstId > MaxManifestWalId)
        {
            throw new CorruptionException(
                manifestPath,
                $"its WAL ids are implausible (replay_after_wal_id {replayAfter}, next_wal_sst_id {nextWalSstId}; the limit is {MaxManifestWalId})");
        }

        var limit = Math.Max(replayAfter, nextWalSstId) + MaxIdsAhead;
        foreach (var info in listed)
        {
            if (info.Id > limit)
            {
                throw new CorruptionException(
                    paths.WalSstPath(info.Id),
                    $"a stray WAL object in '{walStoreUri}': its id {info.Id} is more than {MaxIdsAhead} beyond the manifest's " +
                    $"next_wal_sst_id {nextWalSstId}, further than any writer of this database gets; remove it if it does not belong here");
            }
        }

        var expected = replayAfter + 1;
        for (var i = 0; i < listed.Count; i++)
        {
            var info = listed[i];
            if (info.Id > expected)
            {
                throw new CorruptionException(
                    paths.WalSstPath(expected),
                    $"missing from the WAL store '{walStoreUri}' while the later WAL object '{paths.WalSstPath(info.Id)}' exists: WAL ids " +
                    $"{expected} to {info.Id - 1} are missing (the WAL was truncated, or '{paths.WalSstPath(info.Id)}' is a stray object)");
            }

            if (info.Size == 0)
            {
                CheckEmpty(listed, i, mode, paths);
            }

            expected = info.Id + 1;
        }

        if (expected < nextWalSstId && mode == WalRecoveryMode.Strict && !adoptingWalStore)
        {
            throw new CorruptionException(
                paths.WalSstPath(expected),
                $"missing from the WAL store '{walStoreUri}': the manifest records WAL ids up to {nextWalSstId - 1} as written " +
                $"(next_wal_sst_id {nextWalSstId}), but the WAL ends at id {expected - 1}; WAL ids {expected} to {nextWalSstId - 1} are lost " +
                "(WalRecoveryMode.Strict; TolerateCorruptTail opens without them)");
        }

        return new WalRange(replayAfter, expected, Math.Max(expected, nextWalSstId));
    }

    /// <summary>Why TolerateCorruptTail cannot drop a bad object that <paramref name="laterPath"/> follows.</summary>
    public static string NotTheTail(string laterPath)
        => $"it is not the last WAL object, '{laterPath}' follows it, so TolerateCorruptTail cannot drop it";

    private static void CheckEmpty(IReadOnlyList<WalObjectInfo> listed, int index, WalRecoveryMode mode, DbPaths paths)
    {
        var path = paths.WalSstPath(listed[index].Id);
        if (mode == WalRecoveryMode.Strict)
        {
            throw new CorruptionException(path, EmptyDetail + " (WAL replay, WalRecoveryMode.Strict; TolerateCorruptTail drops a corrupt last WAL object)");
        }

        for (var later = index + 1; later < listed.Count; later++)
        {
            if (listed[later].Size != WalFenceObject.Length)
            {
                throw new CorruptionException(path, $"{EmptyDetail} (WAL replay: {NotTheTail(paths.WalSstPath(listed[later].Id))})");
            }
        }
    }
}
