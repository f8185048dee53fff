using SlateDb.Layout;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Manifest;

/// <summary>
/// The manifests of one database: <c>&lt;db&gt;/manifest/{id:D20}.manifest</c>, each created once
/// (create-if-absent) and never overwritten, the highest id being the current state. Updates are
/// compare-and-swap: write <c>id + 1</c>, and on conflict re-read and re-apply. Fencing (epochs) is
/// layered on top by <see cref="FenceableManifest"/>. Protocol: docs/rfcs/0001-manifest.md.
/// </summary>
internal sealed class ManifestStore
{
    private readonly SequencedObjectStore<ManifestData> _versions;

    /// <summary>Creates the store for the database at <paramref name="dbPath"/>.</summary>
    /// <param name="store">The main object store.</param>
    /// <param name="dbPath">The database path (validated by <see cref="DbPaths"/>).</param>
    /// <param name="time">Measures the update timeout; the system clock when null.</param>
    /// <exception cref="ArgumentException"><paramref name="dbPath"/> is not a valid database path.</exception>
    public ManifestStore(IObjectStore store, string dbPath, TimeProvider? time = null)
        : this(store, dbPath, time, SequencedObjectStore<ManifestData>.DefaultMaxUpdateAttempts, TimeSpan.FromMinutes(5))
    {
    }

    /// <summary>Creates the store with explicit update bounds.</summary>
    /// <param name="store">The main object store.</param>
    /// <param name="dbPath">The database path.</param>
    /// <param name="time">Measures the update timeout; the system clock when null.</param>
    /// <param name="maxUpdateAttempts">How many writes one update tries before a conflict error.</param>
    /// <param name="updateTimeout">How long one update retries before a conflict error.</param>
    public ManifestStore(IObjectStore store, string dbPath, TimeProvider? time, int maxUpdateAttempts, TimeSpan updateTimeout)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxUpdateAttempts);
        Paths = new DbPaths(dbPath);
        ObjectStore = store;
        _versions = new SequencedObjectStore<ManifestData>(
            store, Paths.ManifestPrefix, DbPaths.ManifestExtension, ManifestCodec.Instance, Paths.ManifestGcBoundaryPath,
            $"the manifest of '{dbPath}'", time)
        {
            MaxUpdateAttempts = maxUpdateAttempts,
            UpdateTimeout = updateTimeout,
        };
    }

    /// <summary>The database path.</summary>
    public string DbPath => Paths.Root;

    /// <summary>The database's object names.</summary>
    public DbPaths Paths { get; }

    /// <summary>The store the manifests live in.</summary>
    public IObjectStore ObjectStore { get; }

    /// <summary>The path of manifest <paramref name="id"/>.</summary>
    public string PathOf(ulong id) => Paths.ManifestPath(id);

    /// <summary>Reads the latest manifest, or null when the database has none.</summary>
    /// <exception cref="CorruptionException">The latest manifest fails verification.</exception>
    public async Task<VersionedManifest?> TryReadLatestAsync(CancellationToken ct = default)
        => (await _versions.TryReadLatestAsync(ct).ConfigureAwait(false));

    /// <summary>Reads manifest <paramref name="id"/>.</summary>
    /// <exception cref="ObjectNotFoundException">No manifest has that id (never written, or collected).</exception>
    /// <exception cref="CorruptionException">The manifest fails verification.</exception>
    public async Task<VersionedManifest> ReadAsync(ulong id, CancellationToken ct = default)
        => (await _versions.ReadAsync(id, ct).ConfigureAwait(false));

    /// <summary>The manifest ids in the store, ascending, within [<paramref name="fromId"/>, <paramref name="toId"/>] (both inclusive).</summary>
    public async IAsyncEnumerable<ulong> ListIdsAsync(
        ulong? fromId = null, ulong? toId = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var info in _versions.ListAsync(fromId, toId, ct).ConfigureAwait(false))
        {
            yield return info.Id;
        }
    }

    /// <summary>The manifests in the store with their object metadata (for GC age checks), ascending, both bounds inclusive.</summary>
    public IAsyncEnumerable<SequencedObjectInfo> ListAsync(ulong? fromId = null, ulong? toId = null, CancellationToken ct = default)
        => _versions.ListAsync(fromId, toId, ct);

    /// <summary>Creates manifest 1 with <paramref name="initial"/> (create-if-absent); if any manifest exists, returns the latest instead.</summary>
    public async Task<VersionedManifest> CreateOrReadLatestAsync(ManifestData initial, CancellationToken ct = default)
        => (await _versions.CreateOrReadLatestAsync(initial, ct).ConfigureAwait(false));

    /// <summary>
    /// Writes <paramref name="next"/> as manifest <c>current.Id + 1</c> with <see cref="PutMode.Create"/>.
    /// Returns null when another writer created that id first (or it lies at or below the GC boundary).
    /// <paramref name="next"/> must not be mutated afterwards.
    /// </summary>
    public async Task<VersionedManifest?> TryWriteNextAsync(VersionedManifest current, ManifestData next, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        return (await _versions.TryWriteNextAsync(current, next, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Read the latest → mutate → write, until a write lands. <paramref name="mutate"/> gets a fresh clone of
    /// the latest (it may change and return it); null means "nothing to change" (the latest is returned
    /// without a write); an exception (e.g. <see cref="FencedException"/>) aborts the update.
    /// </summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Conflict"/>) the update kept losing races
    /// past its attempt or time bound; (<see cref="SlateDbErrorKind.Data"/>) the database has no manifest.</exception>
    public Task<VersionedManifest> UpdateAsync(Func<VersionedManifest, ManifestData?> mutate, CancellationToken ct = default)
        => UpdateAsync(null, mutate, ct);

    /// <summary>
    /// As <see cref="UpdateAsync(Func{VersionedManifest, ManifestData?}, CancellationToken)"/>, but the first
    /// attempt starts from <paramref name="known"/> without reading (one PUT when nobody else wrote since);
    /// the latest is read only after a conflict. With a null result from the first attempt,
    /// <paramref name="known"/> itself is returned.
    /// </summary>
    public async Task<VersionedManifest> UpdateAsync(
        VersionedManifest? known, Func<VersionedManifest, ManifestData?> mutate, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        var result = await _versions.UpdateAsync(
            known,
            mutate,
            ct).ConfigureAwait(false);
        return known is not null && ReferenceEquals(result.Value, known.Value) ? known : result;
    }

    /// <summary>The GC boundary for manifest ids (0 when there is none): every id at or below it may have been deleted.</summary>
    public Task<ulong> ReadGcBoundaryAsync(CancellationToken ct = default) => _versions.ReadGcBoundaryAsync(ct);

    /// <summary>Raises the manifest GC boundary to at least <paramref name="id"/> (never lowers it); done before deleting manifests up to it.</summary>
    public Task AdvanceGcBoundaryAsync(ulong id, CancellationToken ct = default) => _versions.AdvanceGcBoundaryAsync(id, ct);

    /// <inheritdoc />
    public override string ToString() => $"manifests of '{DbPath}' in {ObjectStore.Uri}";

}
