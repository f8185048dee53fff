using System.Collections.Concurrent;
using SlateDb.Layout;
using SlateDb.ObjectStore;

namespace SlateDb.Clones;

/// <summary>What a WAL range copy did.</summary>
/// <param name="ReplayAfterWalId">Where the copy's replay range starts: the given start, or the last id skipped by rule A.</param>
/// <param name="Copied">WAL objects now in the destination (stored now, or by an earlier run).</param>
/// <param name="Skipped">Leading ids missing from the source (rule A).</param>
/// <param name="BytesWritten">Bytes stored by this run.</param>
internal sealed record WalCopyResult(ulong ReplayAfterWalId, int Copied, int Skipped, long BytesWritten);

// Copies the WAL objects (after, last] of one database to another, between two object stores (which may be the same):
// GET from the source, PUT create-if-absent in the destination, byte for byte whatever the content (data or fence).
//
// Invariants
//  1. Rule A: ids missing at the start of the range are skipped (they were flushed to L0 and the WAL store wiped, or
//     were fences); the destination's replay range then starts after the last skipped id. An id missing after an id
//     that exists is a hole (data loss): the copy fails naming it and both stores.
//  2. "Exists" means in the source, or already in the destination (an earlier, interrupted run copied it before the
//     source was wiped), so a resumed copy never skips what it already holds.
//  3. An object already in the destination is accepted only when its bytes equal the source's; anything else is
//     another database's WAL and an error.
//  4. Ids after the first existing one are copied with bounded concurrency; any that is missing fails the copy after
//     the others finished (the destination is not usable until its manifest says so, so partial copies are harmless).

/// <summary>Copies a WAL id range between stores with rule A.</summary>
internal sealed class WalRangeCopier
{
    private readonly IObjectStore _from;
    private readonly DbPaths _fromPaths;
    private readonly IObjectStore _to;
    private readonly DbPaths _toPaths;
    private readonly int _maxConcurrency;
    private readonly Action<long>? _onObjectDone;

    /// <param name="from">The source WAL store.</param>
    /// <param name="fromPaths">The source database's names.</param>
    /// <param name="to">The destination WAL store.</param>
    /// <param name="toPaths">The destination database's names.</param>
    /// <param name="maxConcurrency">How many objects are copied at once.</param>
    /// <param name="onObjectDone">Called with the object's size after each object is in the destination.</param>
    public WalRangeCopier(IObjectStore from, DbPaths fromPaths, IObjectStore to, DbPaths toPaths, int maxConcurrency, Action<long>? onObjectDone = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        _from = from;
        _fromPaths = fromPaths;
        _to = to;
        _toPaths = toPaths;
        _maxConcurrency = maxConcurrency;
        _onObjectDone = onObjectDone;
    }

    /// <summary>Copies WAL ids (<paramref name="after"/>, <paramref name="last"/>].</summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Data"/>) an id is missing after an existing one, or the
    /// destination holds different bytes under an id.</exception>
    public async Task<WalCopyResult> CopyAsync(ulong after, ulong last, CancellationToken ct)
    {
        var replayAfter = after;
        var skipped = 0;
        var id = after + 1;
        long written = 0;
        for (; id <= last; id++)
        {
            var stored = await CopyOneAsync(id, ct).ConfigureAwait(false);
            if (stored is not null)
            {
                written += stored.Value;
                break;
            }

            replayAfter = id;
            skipped++;
        }

        if (id > last)
        {
            return new WalCopyResult(replayAfter, 0, skipped, 0);
        }

        var firstCopied = id;
        var missing = new ConcurrentBag<ulong>();
        var rest = Enumerable.Range(0, checked((int)(last - firstCopied))).Select(i => firstCopied + 1 + (ulong)i);
        await Parallel.ForEachAsync(
            rest,
            new ParallelOptions { MaxDegreeOfParallelism = _maxConcurrency, CancellationToken = ct },
            async (walId, token) =>
            {
                var stored = await CopyOneAsync(walId, token).ConfigureAwait(false);
                if (stored is null)
                {
                    missing.Add(walId);
                }
                else
                {
                    Interlocked.Add(ref written, stored.Value);
                }
            }).ConfigureAwait(false);

        if (!missing.IsEmpty)
        {
            var hole = missing.Min();
            throw new SlateDbException(
                SlateDbErrorKind.Data,
                $"WAL object {hole} ('{_fromPaths.WalSstPath(hole)}') is missing from the WAL store '{_from.Uri}', although WAL object " +
                $"{firstCopied} before it exists: the WAL range ({after}, {last}] of '{_fromPaths.Root}' has a hole ({missing.Count} id(s) " +
                $"missing), so its rows would be lost. Nothing was made usable at '{_toPaths.Root}' (WAL store '{_to.Uri}').");
        }

        return new WalCopyResult(replayAfter, (int)(last - firstCopied + 1), skipped, written);
    }

    // The bytes stored by this call (0 when the destination already held them), or null when the id is in neither store.
    private async Task<long?> CopyOneAsync(ulong id, CancellationToken ct)
    {
        var fromPath = _fromPaths.WalSstPath(id);
        var toPath = _toPaths.WalSstPath(id);
        ObjectData source;
        try
        {
            source = await _from.GetAsync(fromPath, null, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            try
            {
                var present = await _to.HeadAsync(toPath, ct).ConfigureAwait(false);
                _onObjectDone?.Invoke(present.Size);
                return 0;
            }
            catch (ObjectNotFoundException)
            {
                return null;
            }
        }

        try
        {
            await _to.PutAsync(toPath, source.Bytes, PutMode.Create, ct).ConfigureAwait(false);
            _onObjectDone?.Invoke(source.Bytes.Length);
            return source.Bytes.Length;
        }
        catch (ObjectAlreadyExistsException)
        {
            var existing = await _to.GetAsync(toPath, null, ct).ConfigureAwait(false);
            if (!existing.Bytes.Span.SequenceEqual(source.Bytes.Span))
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Data,
                    $"The WAL object '{toPath}' already exists in the WAL store '{_to.Uri}' with other bytes than '{fromPath}' in " +
                    $"'{_from.Uri}' ({existing.Bytes.Length} vs {source.Bytes.Length} bytes): '{_toPaths.Root}' holds another database's WAL.");
            }

            _onObjectDone?.Invoke(source.Bytes.Length);
            return 0;
        }
    }
}
