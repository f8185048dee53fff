// Fencing by epoch: the manifest records the epoch of the one writer (and, separately, the one compactor)
// allowed to change the database. A process claims stored + 1 through the manifest CAS on open; from then
// on every refresh and every update compares the stored epoch with its own before it does anything.
//
// Invariants
//  1. The stored epoch never decreases: only a claim changes it, and a claim writes stored + 1 over the
//     version it read, through create-if-absent on the next id.
//  2. Once a newer process has claimed (its claim landed at id M), an older holder's Current is below M
//     (every version from M on carries the newer epoch, and the older holder checks before it builds on
//     one), so its next update targets an id <= M that exists, conflicts, re-reads a version >= M, sees
//     the larger epoch and throws FencedException before writing. No version after M carries its change.
//  3. A stored epoch below ours means our claim was lost or rolled back: an invariant violation, reported
//     as SlateDbErrorKind.Internal, never papered over.
//  4. Current only moves forward (by id).
//
// The manifest epoch is one of two fences: a zombie writer that never touches the manifest is stopped by
// the WAL fence object the new writer creates (the database's open sequence, not this type). A read-only view
// (FenceRole.Reader) holds no epoch: it follows the manifest and writes only its own checkpoints, epochs untouched.
using SlateDb.Manifest.Proto;

namespace SlateDb.Manifest;

/// <summary>Which epoch a <see cref="FenceableManifest"/> holds.</summary>
internal enum FenceRole
{
    /// <summary>The database writer (<c>writer_epoch</c>).</summary>
    Writer,

    /// <summary>The compactor (<c>compactor_epoch</c>).</summary>
    Compactor,

    /// <summary>
    /// A read-only view (<see cref="DbReader"/>): claims no epoch and checks none; its own updates (its checkpoints)
    /// must leave both epochs as they read them.
    /// </summary>
    Reader,
}

/// <summary>
/// This process's claim on a database's manifest: holds the epoch it claimed and checks it against the
/// stored one on every refresh and update. Stored greater than ours: <see cref="FencedException"/>
/// ("a newer writer (epoch N) owns 'db'"); stored smaller: <see cref="SlateDbException"/> with
/// <see cref="SlateDbErrorKind.Internal"/>. Safe for concurrent use.
/// </summary>
internal sealed class FenceableManifest
{
    private readonly ManifestStore _store;
    private readonly Lock _lock = new();
    private VersionedManifest _current;

    private FenceableManifest(ManifestStore store, FenceRole role, ulong epoch, VersionedManifest current)
    {
        _store = store;
        Role = role;
        Epoch = epoch;
        _current = current;
    }

    /// <summary>Which epoch this instance holds.</summary>
    public FenceRole Role { get; }

    /// <summary>The epoch this instance claimed (the writer or compactor epoch, per <see cref="Role"/>).</summary>
    public ulong Epoch { get; }

    /// <summary>The writer epoch this instance claimed.</summary>
    /// <exception cref="InvalidOperationException">This instance holds the compactor epoch.</exception>
    public ulong WriterEpoch => Role == FenceRole.Writer
        ? Epoch
        : throw new InvalidOperationException("This manifest claim holds the compactor epoch, not the writer epoch.");

    /// <summary>The store this claim updates.</summary>
    public ManifestStore Store => _store;

    /// <summary>The latest manifest this process knows (read or written by it).</summary>
    public VersionedManifest Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    /// <summary>
    /// Reads the latest manifest (creating manifest 1 from <see cref="ManifestDefaults.NewDatabase"/> if there
    /// is none) and claims <c>writer_epoch = stored + 1</c>. Refuses a database whose manifest is not
    /// initialized (a clone whose creation did not finish) without claiming.
    /// </summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database is an unfinished clone.</exception>
    public static Task<FenceableManifest> ClaimWriterAsync(ManifestStore store, CancellationToken ct = default)
        => ClaimAsync(store, FenceRole.Writer, ct);

    /// <summary>As <see cref="ClaimWriterAsync"/> for the compactor epoch (no initialized check).</summary>
    public static Task<FenceableManifest> ClaimCompactorAsync(ManifestStore store, CancellationToken ct = default)
        => ClaimAsync(store, FenceRole.Compactor, ct);

    /// <summary>Follows <paramref name="current"/> and later versions without claiming any epoch (a read-only view).</summary>
    public static FenceableManifest Observe(ManifestStore store, VersionedManifest current)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(current);
        return new FenceableManifest(store, FenceRole.Reader, 0, current);
    }

    /// <summary>Re-reads the latest manifest and makes it <see cref="Current"/>.</summary>
    /// <exception cref="FencedException">A newer process claimed the epoch.</exception>
    public async Task<VersionedManifest> RefreshAsync(CancellationToken ct = default)
    {
        var latest = await _store.TryReadLatestAsync(ct).ConfigureAwait(false)
            ?? throw new SlateDbException(SlateDbErrorKind.Data, $"The manifests of '{_store.DbPath}' have disappeared (none is listed).");
        CheckEpoch(latest);
        Advance(latest);
        return latest;
    }

    /// <summary>
    /// The epoch-checked CAS loop: applies <paramref name="mutate"/> to a clone of <see cref="Current"/>
    /// (first attempt, no read) or of the latest (after a conflict), after checking the epoch each time.
    /// <paramref name="mutate"/> returns the changed manifest, or null for "nothing to change" (then
    /// <see cref="Current"/> is returned); it must not change this instance's epoch field.
    /// </summary>
    /// <exception cref="FencedException">A newer process claimed the epoch; nothing was written.</exception>
    public Task<VersionedManifest> UpdateAsync(Func<ManifestData, ManifestData?> mutate, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        return UpdateVersionedAsync(version => mutate(version.Value), ct);
    }

    /// <summary>
    /// As <see cref="UpdateAsync(Func{ManifestData, ManifestData?}, CancellationToken)"/>, with the version being
    /// changed (its id; the changed manifest is written as id + 1). Its value is a fresh clone the mutation may change.
    /// </summary>
    public async Task<VersionedManifest> UpdateVersionedAsync(Func<VersionedManifest, ManifestData?> mutate, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        var written = await _store.UpdateAsync(
            Current,
            version =>
            {
                CheckEpoch(version);
                var (writerEpoch, compactorEpoch) = (version.Value.WriterEpoch, version.Value.CompactorEpoch);
                var next = mutate(version);
                if (next is not null && Role == FenceRole.Reader && (next.WriterEpoch != writerEpoch || next.CompactorEpoch != compactorEpoch))
                {
                    throw new SlateDbException(SlateDbErrorKind.Internal, $"A read-only view's manifest update of '{_store.DbPath}' changed an epoch.");
                }

                if (next is not null && Role != FenceRole.Reader && EpochOf(next, Role) != Epoch)
                {
                    throw new SlateDbException(
                        SlateDbErrorKind.Internal,
                        $"A manifest update of '{_store.DbPath}' changed the {RoleName(Role)} epoch from {Epoch} to {EpochOf(next, Role)}.");
                }

                return next;
            },
            ct).ConfigureAwait(false);
        Advance(written);
        return written;
    }

    private static async Task<FenceableManifest> ClaimAsync(ManifestStore store, FenceRole role, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var latest = await store.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase(), ct).ConfigureAwait(false);
        ulong claimed = 0;
        var written = await store.UpdateAsync(
            latest,
            version =>
            {
                var manifest = version.Value;
                if (role == FenceRole.Writer && !manifest.Initialized)
                {
                    throw new SlateDbException(
                        SlateDbErrorKind.Invalid,
                        $"The database '{store.DbPath}' is a clone whose creation did not finish (manifest {version.Id} is not initialized); " +
                        "re-run the clone creation before opening it.");
                }

                claimed = EpochOf(manifest, role) + 1;
                if (role == FenceRole.Writer)
                {
                    manifest.WriterEpoch = claimed;
                }
                else
                {
                    manifest.CompactorEpoch = claimed;
                }

                return manifest;
            },
            ct).ConfigureAwait(false);
        return new FenceableManifest(store, role, claimed, written);
    }

    private void CheckEpoch(VersionedManifest version)
    {
        if (Role == FenceRole.Reader)
        {
            return;
        }

        var stored = EpochOf(version.Value, Role);
        if (stored > Epoch)
        {
            throw new FencedException(
                $"A newer {RoleName(Role)} (epoch {stored}) owns '{_store.DbPath}'; this one holds epoch {Epoch} (seen in manifest {version.Id}).");
        }

        if (stored < Epoch)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Internal,
                $"Manifest {version.Id} of '{_store.DbPath}' records {RoleName(Role)} epoch {stored}, below the epoch {Epoch} this process claimed.");
        }
    }

    private void Advance(VersionedManifest version)
    {
        lock (_lock)
        {
            if (version.Id > _current.Id)
            {
                _current = version;
            }
        }
    }

    private static ulong EpochOf(ManifestData manifest, FenceRole role)
        => role == FenceRole.Writer ? manifest.WriterEpoch : manifest.CompactorEpoch;

    private static string RoleName(FenceRole role) => role == FenceRole.Writer ? "writer" : "compactor";
}
