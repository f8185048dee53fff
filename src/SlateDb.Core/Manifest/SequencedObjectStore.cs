// A compare-and-swap register over an object store: versions 1, 2, 3, ... of one object, each stored once
// as <prefix><20-digit id><extension> with create-if-absent. The highest id is the current value.
//
// Invariants
//  1. Every id is created at most once (PutMode.Create) and never overwritten, so two writers that start
//     from the same version cannot both succeed: exactly one creates id + 1, the other sees AlreadyExists.
//  2. Ids are dense: a writer only ever creates current.Id + 1, where current is a version it read or wrote.
//  3. GC never deletes the latest version, and advances the boundary object (one ASCII decimal id) to at
//     least every id it is about to delete before deleting it. A create whose id is at or below the
//     boundary recreated a deleted version under a newer latest (a stalled writer): it is treated as a
//     conflict, so no caller ever builds on a version that is not in the lineage of the latest.
//  4. GC never deletes a version written less than VersionDeleteFloor ago, whatever its MinAge. So when version X is
//     known to have been the latest at moment t (this register created it in the lineage with a PUT started at t, or a
//     LIST or probe started at t proved it), every newer version was created after t and is not deleted before
//     t + VersionDeleteFloor. Until t + ChainWindow (ChainWindow < VersionDeleteFloor, the rest a margin for clocks)
//     a NotFound for X + k is therefore an id never written, and a successful create of X + 1 cannot have recreated a
//     deleted version, so it needs no boundary GET. Writers that chain their own updates (the writer's flushes, the
//     compactor's publications) pay the GET only after a pause or a conflict; a poller pays one GET per poll.
//
// Outline of an update
//   start from a known version (or read the latest) → mutate a clone → create id + 1 → AlreadyExists or below the
//   GC boundary: read the latest and mutate again, bounded by attempts and time.
//
// Reading the latest: once a version is known to have been the latest at a moment less than ChainWindow ago (a
// listing, a probe, or this register's own create proved it), GET id + 1, id + 2, ... (at most MaxProbes); the first
// NotFound ends it, and the version before it is the latest (ids are dense, so an idle poll is one GET). The window
// matters: GC deletes old versions below the latest, so a GET of an id can miss a version that existed; by invariant 4
// no version created after the known moment has been deleted within the window. With nothing known, a known moment
// older than the window, or MaxProbes hits in a row, it LISTs the prefix (highest parseable id, GET; re-LIST if the
// object vanished): a LIST costs O(versions) and they accumulate until GC.
//
// The protocol and its durability argument: docs/rfcs/0001-manifest.md.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Google.Protobuf;
using SlateDb.Layout;
using SlateDb.ObjectStore;

namespace SlateDb.Manifest;

/// <summary>A versioned object with compare-and-swap updates (the manifest; the compactor state).</summary>
/// <typeparam name="T">The value type; <see cref="IDeepCloneable{T}.Clone"/> gives each mutation its own copy.</typeparam>
internal sealed class SequencedObjectStore<T>
    where T : class, IDeepCloneable<T>
{
    /// <summary>The default bound on attempts of one <see cref="UpdateAsync"/>.</summary>
    public const int DefaultMaxUpdateAttempts = 100;

    private const int MaxVanishedReads = 16;

    /// <summary>How many ids past the newest known version a read of the latest tries before it lists.</summary>
    public const int MaxProbes = 4;

    /// <summary>
    /// The garbage collector never deletes a version younger than this, whatever its MinAge (invariant 4).
    /// </summary>
    public static readonly TimeSpan VersionDeleteFloor = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after a version is known to have been the latest a probe may trust a NotFound and a create of its
    /// successor is known to be in the lineage without reading the GC boundary (invariant 4). The remaining 40 s of <see cref="VersionDeleteFloor"/>
    /// absorb skew between the store's clock and the collector's.
    /// </summary>
    public static readonly TimeSpan ChainWindow = TimeSpan.FromSeconds(20);

    private readonly IObjectStore _store;
    private readonly string _prefix;
    private readonly string _extension;
    private readonly IObjectCodec<T> _codec;
    private readonly string? _gcBoundaryPath;
    private readonly string _description;
    private readonly TimeProvider _time;
    private LatestMark? _latest;

    /// <summary>Creates the register.</summary>
    /// <param name="store">The store holding the versions.</param>
    /// <param name="prefix">The listing prefix of the versions, ending in '/' (e.g. <c>orders/manifest/</c>).</param>
    /// <param name="extension">The object name extension (e.g. <c>.manifest</c>).</param>
    /// <param name="codec">Encodes and verifies the objects.</param>
    /// <param name="gcBoundaryPath">The GC boundary object checked after every create, or null when GC keeps no boundary.</param>
    /// <param name="description">How errors name the register (e.g. <c>the manifest of 'orders'</c>).</param>
    /// <param name="time">Measures <see cref="UpdateTimeout"/>.</param>
    public SequencedObjectStore(
        IObjectStore store, string prefix, string extension, IObjectCodec<T> codec, string? gcBoundaryPath, string description, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentException.ThrowIfNullOrEmpty(extension);
        ArgumentNullException.ThrowIfNull(codec);
        _store = store;
        _prefix = prefix;
        _extension = extension;
        _codec = codec;
        _gcBoundaryPath = gcBoundaryPath;
        _description = description;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How many writes one <see cref="UpdateAsync"/> tries before it gives up with a conflict.</summary>
    public int MaxUpdateAttempts { get; init; } = DefaultMaxUpdateAttempts;

    /// <summary>How long one <see cref="UpdateAsync"/> keeps retrying before it gives up with a conflict.</summary>
    public TimeSpan UpdateTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The path of version <paramref name="id"/>.</summary>
    public string PathOf(ulong id) => DbPaths.SequencedPath(_prefix, id, _extension);

    /// <summary>The versions in the store, in id order, skipping names that are not ids.</summary>
    /// <param name="fromId">The lowest id to return (inclusive); null for no lower bound.</param>
    /// <param name="toId">The highest id to return (inclusive); null for no upper bound.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public async IAsyncEnumerable<SequencedObjectInfo> ListAsync(
        ulong? fromId = null, ulong? toId = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var startAfter = fromId is > 0 ? PathOf(fromId.Value - 1) : null;
        await foreach (var meta in _store.ListAsync(_prefix, startAfter, cancellationToken).ConfigureAwait(false))
        {
            if (!DbPaths.TryParseSequencedId(meta.Path, _prefix, _extension, out var id) || id < fromId)
            {
                continue;
            }

            // Canonical names list in id order, so the first id past the range ends it.
            if (id > toId)
            {
                yield break;
            }

            yield return new SequencedObjectInfo(id, meta);
        }
    }

    /// <summary>The highest id in the store, or null when there is none.</summary>
    public async Task<ulong?> TryGetLatestIdAsync(CancellationToken cancellationToken = default)
    {
        ulong? latest = null;
        await foreach (var info in ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            latest = info.Id;
        }

        return latest;
    }

    /// <summary>
    /// Reads the latest version, or null when there is none: probes the ids after a version known to have been the
    /// latest less than <see cref="ChainWindow"/> ago, and lists otherwise or when the probes keep finding newer ones.
    /// A version deleted between LIST and GET is re-listed. The value returned may be shared with other callers: do not
    /// mutate it.
    /// </summary>
    /// <exception cref="CorruptionException">The latest version fails verification.</exception>
    public async Task<Versioned<T>?> TryReadLatestAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _latest) is { } mark && IsFresh(mark) && await TryProbeAsync(mark, cancellationToken).ConfigureAwait(false) is { } probed)
        {
            return probed;
        }

        for (var attempt = 0; attempt < MaxVanishedReads; attempt++)
        {
            var started = _time.GetTimestamp();
            if (await TryGetLatestIdAsync(cancellationToken).ConfigureAwait(false) is not { } id)
            {
                return null;
            }

            try
            {
                return MarkLatest(await ReadAsync(id, cancellationToken).ConfigureAwait(false), started);
            }
            catch (ObjectNotFoundException)
            {
                // Deleted after it was listed (only GC deletes, and never the latest): a newer one exists.
            }
        }

        throw new SlateDbException(
            SlateDbErrorKind.Conflict,
            $"The latest version of {_description} disappeared between listing and reading {MaxVanishedReads} times; is something deleting the latest version?");
    }

    // GET mark + 1, + 2, ...: the version before the first NotFound is the latest, if the NotFound came within the
    // mark's window (invariant 4; later it may be a deleted version). Null when every probe found one, or too late.
    private async Task<Versioned<T>?> TryProbeAsync(LatestMark mark, CancellationToken cancellationToken)
    {
        var latest = mark.Version;
        for (var probe = 0; probe < MaxProbes && latest.Id < ulong.MaxValue; probe++)
        {
            var started = _time.GetTimestamp();
            try
            {
                latest = await ReadAsync(latest.Id + 1, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                return IsFresh(mark) ? MarkLatest(latest, started) : null;
            }
        }

        return null;
    }

    private bool IsFresh(LatestMark mark) => _time.GetElapsedTime(mark.Since) < ChainWindow;

    // Records that `version` was the latest at `since` (a timestamp taken before the request that proved it), keeping
    // the newest such fact.
    private Versioned<T> MarkLatest(Versioned<T> version, long since)
    {
        var next = new LatestMark(version, since);
        var known = Volatile.Read(ref _latest);
        while ((known is null || known.Version.Id < version.Id || (known.Version.Id == version.Id && known.Since < since))
            && Interlocked.CompareExchange(ref _latest, next, known) != known)
        {
            known = Volatile.Read(ref _latest);
        }

        return version;
    }

    /// <summary>Reads version <paramref name="id"/>.</summary>
    /// <exception cref="ObjectNotFoundException">The version does not exist (never written, or deleted by GC).</exception>
    /// <exception cref="CorruptionException">The object fails verification.</exception>
    public async Task<Versioned<T>> ReadAsync(ulong id, CancellationToken cancellationToken = default)
    {
        var path = PathOf(id);
        var data = await _store.GetAsync(path, null, cancellationToken).ConfigureAwait(false);
        return new Versioned<T>(id, _codec.Decode(path, data.Bytes.Span));
    }

    /// <summary>Creates version 1 from <paramref name="initial"/> unless a version exists; returns the latest either way.</summary>
    public async Task<Versioned<T>> CreateOrReadLatestAsync(T initial, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(initial);
        if (await TryReadLatestAsync(cancellationToken).ConfigureAwait(false) is { } latest)
        {
            return latest;
        }

        return await TryCreateAsync(1, initial.Clone(), cancellationToken).ConfigureAwait(false)
            ?? await TryReadLatestAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new SlateDbException(
                SlateDbErrorKind.Conflict, $"Creating version 1 of {_description} conflicted, yet no version is listed.");
    }

    /// <summary>
    /// Writes <paramref name="next"/> as version <c>current.Id + 1</c> (create-if-absent). Returns null when
    /// that id already exists (another writer got there first) or lies at or below the GC boundary. The
    /// caller must not mutate <paramref name="next"/> afterwards.
    /// </summary>
    public Task<Versioned<T>?> TryWriteNextAsync(Versioned<T> current, T next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        if (current.Id == ulong.MaxValue)
        {
            throw new SlateDbException(SlateDbErrorKind.Internal, $"{_description} has reached the last possible id.");
        }

        return TryCreateAsync(current.Id + 1, next, cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="mutate"/> until its result lands as the next version. It starts from
    /// <paramref name="known"/> when given (no read: the first write fails cheaply if it is stale) or from
    /// the latest, and re-reads the latest after every conflict. <paramref name="mutate"/> receives a clone
    /// it may change and return; it returns null when there is nothing to change (the version it was given
    /// is then returned without a write), and may throw to abort.
    /// </summary>
    /// <exception cref="SlateDbException">
    /// (<see cref="SlateDbErrorKind.Conflict"/>) the update kept conflicting for <see cref="MaxUpdateAttempts"/>
    /// attempts or <see cref="UpdateTimeout"/>; (<see cref="SlateDbErrorKind.Data"/>) there is no version yet.
    /// </exception>
    public async Task<Versioned<T>> UpdateAsync(Versioned<T>? known, Func<Versioned<T>, T?> mutate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        var started = _time.GetTimestamp();
        var current = known ?? await ReadLatestRequiredAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = mutate(new Versioned<T>(current.Id, current.Value.Clone()));
            if (next is null)
            {
                return current;
            }

            if (await TryWriteNextAsync(current, next, cancellationToken).ConfigureAwait(false) is { } written)
            {
                return written;
            }

            var elapsed = _time.GetElapsedTime(started);
            if (attempt >= MaxUpdateAttempts || elapsed >= UpdateTimeout)
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Conflict,
                    $"Updating {_description} conflicted with other writers {attempt} times in a row over {elapsed.TotalSeconds:F1} s " +
                    $"(limits: {MaxUpdateAttempts} attempts, {UpdateTimeout.TotalSeconds:F0} s); the last attempt was id {current.Id + 1}.");
            }

            current = await ReadLatestRequiredAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The GC boundary: every id at or below it may have been deleted. 0 when there is no boundary object.</summary>
    public async Task<ulong> ReadGcBoundaryAsync(CancellationToken cancellationToken = default)
        => (await ReadGcBoundaryObjectAsync(cancellationToken).ConfigureAwait(false)).Boundary;

    /// <summary>
    /// Raises the GC boundary to at least <paramref name="id"/> before versions up to it are deleted (invariant 3):
    /// a conditional write (create when absent, else If-Match on the etag read), retried after a race; never lowers it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The register keeps no boundary object.</exception>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Conflict"/>) other writers kept changing the boundary.</exception>
    public async Task AdvanceGcBoundaryAsync(ulong id, CancellationToken cancellationToken = default)
    {
        var path = _gcBoundaryPath ?? throw new InvalidOperationException($"{_description} keeps no GC boundary object.");
        for (var attempt = 0; attempt < MaxUpdateAttempts; attempt++)
        {
            var (current, etag) = await ReadGcBoundaryObjectAsync(cancellationToken).ConfigureAwait(false);
            if (current >= id)
            {
                return;
            }

            var bytes = Encoding.ASCII.GetBytes(id.ToString(CultureInfo.InvariantCulture));
            try
            {
                await _store.PutAsync(path, bytes, etag is null ? PutMode.Create : PutMode.Update(etag), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is ObjectAlreadyExistsException or PreconditionFailedException)
            {
                // Another collector moved it first: read it again.
            }
        }

        throw new SlateDbException(
            SlateDbErrorKind.Conflict, $"Raising the GC boundary of {_description} to {id} conflicted with other writers {MaxUpdateAttempts} times.");
    }

    private async Task<(ulong Boundary, string? ETag)> ReadGcBoundaryObjectAsync(CancellationToken cancellationToken)
    {
        if (_gcBoundaryPath is null)
        {
            return (0, null);
        }

        ObjectData data;
        try
        {
            data = await _store.GetAsync(_gcBoundaryPath, null, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return (0, null);
        }

        var text = Encoding.ASCII.GetString(data.Bytes.Span).Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var boundary)
            ? (boundary, data.Meta.ETag)
            : throw new CorruptionException(_gcBoundaryPath, $"a GC boundary holds one decimal id; found {data.Bytes.Length} bytes that are not one");
    }

    private async Task<Versioned<T>> ReadLatestRequiredAsync(CancellationToken cancellationToken)
        => await TryReadLatestAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new SlateDbException(SlateDbErrorKind.Data, $"{_description} has no versions under '{_prefix}'.");

    private async Task<Versioned<T>?> TryCreateAsync(ulong id, T value, CancellationToken cancellationToken)
    {
        var bytes = _codec.Encode(value);
        var started = _time.GetTimestamp();
        try
        {
            await _store.PutAsync(PathOf(id), bytes, PutMode.Create, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectAlreadyExistsException)
        {
            return null;
        }

        // The version landed. A version at or below the boundary was deleted by GC before this create recreated it,
        // so a newer latest exists that does not descend from this write: report a conflict (invariant 3). The
        // successor of this register's own recent create needs no check (invariant 4).
        var chained = Volatile.Read(ref _latest) is { } mark && mark.Version.Id + 1 == id && IsFresh(mark);
        if (!chained && !await IsInLineageAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return MarkLatest(new Versioned<T>(id, value), started);
    }

    // Whether the version `id` this writer just created descends from the latest. The GC boundary decides; when it
    // cannot be read, a listing whose highest id is `id` proves it too (an orphan always has a newer version above
    // it, which GC never deletes). A check that cannot decide reports a conflict, never a failure: the caller
    // re-reads the latest, which holds the landed write if it is in the lineage (invariant 3 and the rfc's
    // idempotent mutations).
    private async Task<bool> IsInLineageAsync(ulong id, CancellationToken cancellationToken)
    {
        try
        {
            return id > await ReadGcBoundaryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException)
        {
        }

        try
        {
            return await TryGetLatestIdAsync(cancellationToken).ConfigureAwait(false) == id;
        }
        catch (ObjectStoreException)
        {
            return false;
        }
    }

    // A version that was the latest at Since (a TimeProvider timestamp taken before the request that proved it).
    private sealed record LatestMark(Versioned<T> Version, long Since);
}
