using System.Globalization;
using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Layout;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Verify;

// Verifying a database checks that one manifest's objects are all there and intact: every SST it references (L0, sorted
// runs; an external database's SSTs under that database's path) and every WAL id of its replay range
// (replay_after_wal_id, next_wal_sst_id).
//
// Invariants
//  1. Read only: nothing is written, so verifying a live database never disturbs its writer.
//  2. Every referenced object is read whole and checked once: present; a compacted SST's size equals the manifest's
//     handle and its footer, index, filter, properties and every block verify (checksums, decoding, row order) and its
//     kind, row count and key range agree with the handle; a WAL object is a fence (WalFenceObject: it verifies, and its
//     writer epoch is not newer than the manifest's, since a writer claims its epoch in the manifest before fencing) or
//     a WAL SST that verifies. A zero-byte WAL object is neither (a truncated WAL object).
//  3. A problem never stops the walk: each is recorded with its object path, and the problems come out in manifest
//     order whatever order the concurrent reads finish in.
//  4. At most Concurrency objects are in memory at once.

/// <summary>Checks the objects one manifest references.</summary>
internal sealed class DatabaseVerifier
{
    /// <summary>How many objects are read at once by default.</summary>
    public const int DefaultConcurrency = 4;

    /// <summary>The most WAL ids a replay range may span before the manifest's WAL ids count as implausible.</summary>
    public const ulong MaxWalIds = 1UL << 24;

    private readonly IObjectStore _mainStore;
    private readonly IObjectStore _walStore;
    private readonly DbPaths _paths;
    private readonly int _concurrency;

    /// <summary>Creates a verifier of the database at <paramref name="paths"/>.</summary>
    /// <param name="mainStore">The main store (compacted SSTs, the database's and its parents').</param>
    /// <param name="walStore">The store holding the manifest's WAL objects (the main store when the WAL is not separate).</param>
    /// <param name="paths">The database's object names.</param>
    /// <param name="concurrency">How many objects are read at once.</param>
    public DatabaseVerifier(IObjectStore mainStore, IObjectStore walStore, DbPaths paths, int concurrency = DefaultConcurrency)
    {
        ArgumentNullException.ThrowIfNull(mainStore);
        ArgumentNullException.ThrowIfNull(walStore);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrency);
        _mainStore = mainStore;
        _walStore = walStore;
        _paths = paths;
        _concurrency = concurrency;
    }

    /// <summary>
    /// The objects <paramref name="manifest"/> needs, in manifest order: L0 (newest first), the sorted runs (newest
    /// first, each in key order), then the WAL ids of its replay range ascending.
    /// </summary>
    /// <exception cref="CorruptionException">The replay range spans more than <see cref="MaxWalIds"/> ids.</exception>
    public static List<VerifyTarget> Targets(ManifestData manifest, DbPaths paths, string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var targets = new List<VerifyTarget>();
        var l0 = ManifestViews.L0(manifest, paths);
        for (var i = 0; i < l0.Length; i++)
        {
            targets.Add(new VerifyTarget(l0[i].Path, VerifyTargetKind.CompactedSst, "L0", manifest.L0[i]));
        }

        var runs = ManifestViews.SortedRuns(manifest, paths);
        for (var r = 0; r < runs.Length; r++)
        {
            var role = string.Create(CultureInfo.InvariantCulture, $"sorted run {runs[r].Id}");
            for (var i = 0; i < runs[r].Tables.Length; i++)
            {
                targets.Add(new VerifyTarget(runs[r].Tables[i].Path, VerifyTargetKind.CompactedSst, role, manifest.SortedRuns[r].Ssts[i]));
            }
        }

        var after = manifest.ReplayAfterWalId;
        var next = manifest.NextWalSstId;
        if (next > after && next - after - 1 > MaxWalIds)
        {
            throw new CorruptionException(
                manifestPath,
                $"its WAL replay range ({after}, {next}) spans {next - after - 1} ids, more than the {MaxWalIds} a verification accepts");
        }

        for (var id = after + 1; id < next; id++)
        {
            targets.Add(new VerifyTarget(
                paths.WalSstPath(id), VerifyTargetKind.WalObject, string.Create(CultureInfo.InvariantCulture, $"WAL id {id} of the replay range ({after}, {next})"), null));
        }

        return targets;
    }

    /// <summary>Checks every object <paramref name="manifest"/> (stored at <paramref name="manifestPath"/>) references.</summary>
    /// <param name="manifest">The manifest to verify.</param>
    /// <param name="manifestPath">Where it is stored (named by a problem with the manifest itself).</param>
    /// <param name="progress">Told after each object; called under a lock, so counts only grow.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    public async Task<DatabaseVerification> VerifyAsync(
        ManifestData manifest, string manifestPath, Action<VerifyCounts>? progress, CancellationToken cancellationToken)
    {
        List<VerifyTarget> targets;
        try
        {
            targets = Targets(manifest, _paths, manifestPath);
        }
        catch (CorruptionException e)
        {
            return new DatabaseVerification(0, 0, [new VerifyFinding(e.ObjectPath, e.Detail)]);
        }

        var found = new List<string>?[targets.Count];
        var gate = new object();
        long objects = 0, bytes = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = _concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, targets.Count), options, async (i, ct) =>
        {
            var (read, problems) = await CheckAsync(targets[i], manifest.WriterEpoch, ct).ConfigureAwait(false);
            found[i] = problems;
            lock (gate)
            {
                objects++;
                bytes += read;
                progress?.Invoke(new VerifyCounts(objects, targets.Count, bytes));
            }
        }).ConfigureAwait(false);

        var all = new List<VerifyFinding>();
        for (var i = 0; i < targets.Count; i++)
        {
            foreach (var message in found[i] ?? [])
            {
                all.Add(new VerifyFinding(targets[i].Path, message));
            }
        }

        return new DatabaseVerification(objects, bytes, all);
    }

    // Reads one object whole and checks it; returns the bytes read and its problems (null when it is fine).
    private async Task<(long Read, List<string>? Problems)> CheckAsync(VerifyTarget target, ulong writerEpoch, CancellationToken ct)
    {
        var store = target.Kind == VerifyTargetKind.WalObject ? _walStore : _mainStore;
        ReadOnlyMemory<byte> bytes;
        try
        {
            bytes = (await store.GetAsync(target.Path, null, ct).ConfigureAwait(false)).Bytes;
        }
        catch (ObjectNotFoundException)
        {
            return (0, [$"missing from '{store.Uri}' ({target.Role} in the manifest)"]);
        }
        catch (ObjectStoreException e)
        {
            return (0, [$"could not be read from '{store.Uri}' ({target.Role} in the manifest): {e.Message}"]);
        }

        var problems = new List<string>();
        if (target.Handle is { } handle)
        {
            if ((ulong)bytes.Length != handle.Size)
            {
                problems.Add($"the object is {bytes.Length} bytes, the manifest records {handle.Size} ({target.Role})");
            }

            await CheckSstAsync(bytes, target, SstKind.Compacted, problems, ct).ConfigureAwait(false);
        }
        else if (bytes.IsEmpty)
        {
            problems.Add(WalRange.EmptyDetail);
        }
        else if (bytes.Length == WalFenceObject.Length)
        {
            CheckFence(bytes.Span, target, writerEpoch, problems);
        }
        else
        {
            await CheckSstAsync(bytes, target, SstKind.Wal, problems, ct).ConfigureAwait(false);
        }

        return (bytes.Length, problems.Count == 0 ? null : problems);
    }

    private static void CheckFence(ReadOnlySpan<byte> bytes, VerifyTarget target, ulong writerEpoch, List<string> problems)
    {
        try
        {
            var epoch = WalFenceObject.Decode(bytes, target.Path);
            if (epoch > writerEpoch)
            {
                problems.Add($"a WAL fence of writer epoch {epoch}, newer than the manifest's writer epoch {writerEpoch} ({target.Role})");
            }
        }
        catch (CorruptionException e)
        {
            problems.Add(e.Detail);
        }
    }

    private static async Task CheckSstAsync(ReadOnlyMemory<byte> bytes, VerifyTarget target, SstKind kind, List<string> problems, CancellationToken ct)
    {
        try
        {
            var reader = SstReader.Open(bytes, target.Path);
            var info = reader.Info;
            if (info.Kind != kind)
            {
                problems.Add($"it is a {info.Kind} SST where the manifest needs a {kind} SST ({target.Role})");
                return;
            }

            await reader.VerifyAsync(ct).ConfigureAwait(false);
            if (target.Handle is { } handle
                && ((ulong)info.RowCount != handle.RowCount || !info.FirstKey.Span.SequenceEqual(handle.FirstKey.Span)
                    || !info.LastKey.Span.SequenceEqual(handle.LastKey.Span)))
            {
                problems.Add(
                    $"its properties ({info.RowCount} rows, keys {SstFormat.FormatKey(info.FirstKey.Span)}..{SstFormat.FormatKey(info.LastKey.Span)}) " +
                    $"differ from the manifest's handle ({handle.RowCount} rows, keys {SstFormat.FormatKey(handle.FirstKey.Span)}..{SstFormat.FormatKey(handle.LastKey.Span)})");
            }

            if (target.Handle is { } withReach && !SameReach(info.RangeTombstones, withReach.RangeTombstones))
            {
                problems.Add($"its range tombstones ({Describe(info.RangeTombstones)}) differ from the manifest's handle ({Describe(withReach.RangeTombstones)})");
            }
        }
        catch (CorruptionException e)
        {
            problems.Add(e.Detail);
        }
    }

    // The reach the manifest records for an SST's range tombstones matches its properties (none, unbounded, or one end).
    private static bool SameReach(RangeTombstoneSummary? info, Manifest.Proto.RangeTombstoneReach? handle)
        => info is null
            ? handle is null
            : handle is not null && handle.Unbounded == (info.End is null) && (info.End is not { } end || end.Span.SequenceEqual(handle.End.Span));

    private static string Describe(RangeTombstoneSummary? info)
        => info is null ? "none" : $"{info.Count}, reaching {(info.End is { } end ? SstFormat.FormatKey(end.Span) : "+inf")}";

    private static string Describe(Manifest.Proto.RangeTombstoneReach? handle)
        => handle is null ? "none" : $"reaching {(handle.Unbounded ? "+inf" : SstFormat.FormatKey(handle.End.Span))}";
}
