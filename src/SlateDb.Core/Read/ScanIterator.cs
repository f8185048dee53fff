using System.Runtime.CompilerServices;
using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Gc;

namespace SlateDb.Read;

/// <summary>
/// A scan over one snapshot of the database: the value of each key in the range as <see cref="VersionResolver"/> resolves
/// its visible versions (tombstones and expired rows hidden, merge operands applied), merged from every source (memtables,
/// L0 SSTs that overlap the range, sorted runs); versions older than a range tombstone (at or below the bound) that
/// covers their key are dropped before resolution, as if a point tombstone stood at its seq. The sources are opened on the
/// first move, so creating a scan costs nothing. The snapshot stays pinned until the scan is disposed, so the collector
/// of this process never deletes an SST under it (<see cref="SnapshotPins"/>).
/// </summary>
internal sealed class ScanIterator : IAsyncDisposable
{
    private readonly SnapshotPins.Lease _snapshot;
    private readonly DbState _state;
    private readonly KeyRange _range;
    private readonly ulong _bound;
    private readonly TableCache _tables;
    private readonly Lifecycle _lifecycle;
    private readonly CancellationToken _scanToken;
    private readonly IRowIterator? _overlay;
    private readonly ReadResolution _resolution;
    private readonly long _readAheadBytes;
    private IRowIterator? _merge;
    private ReadOnlyMemory<byte>? _lastKey;
    private byte[] _keyBuffer = [];   // the key of the row an in-place move is on (the sources reuse their key memory)
    private KeyValue _current;
    private bool _exhausted;
    private bool _disposed;

    /// <param name="snapshot">The pinned snapshot to scan; released when the scan is disposed.</param>
    /// <param name="range">The keys to return.</param>
    /// <param name="bound">The visibility bound: rows with a larger seq are not seen.</param>
    /// <param name="tables">Opens SST readers.</param>
    /// <param name="lifecycle">Refuses reads once the database is closed.</param>
    /// <param name="resolution">Resolves merge operands and expiry times (at the time the scan starts).</param>
    /// <param name="readAheadBytes">The scan's read-ahead budget in bytes (<see cref="Settings.ScanReadAheadBytes"/>; 0: none).</param>
    /// <param name="scanToken">Cancels every call of this scan (each call may also pass its own token).</param>
    /// <param name="overlay">
    /// Rows newer than every source (a transaction's own writes, at seq <paramref name="bound"/>), or null; owned by the scan.
    /// </param>
    public ScanIterator(
        SnapshotPins.Lease snapshot,
        KeyRange range,
        ulong bound,
        TableCache tables,
        Lifecycle lifecycle,
        ReadResolution resolution,
        long readAheadBytes,
        CancellationToken scanToken,
        IRowIterator? overlay = null)
    {
        _resolution = resolution;
        _readAheadBytes = readAheadBytes;
        _overlay = overlay;
        _scanToken = scanToken;
        _snapshot = snapshot;
        _state = snapshot.State;
        _range = range;
        _bound = bound;
        _tables = tables;
        _lifecycle = lifecycle;
    }

    /// <summary>
    /// The row the last <see cref="MoveNextAsync"/> that returned true moved to, in place: its key is a buffer of this
    /// scan and its value the memory of the source it came from, both valid only until the scan's next call.
    /// </summary>
    public KeyValue Current => _current;

    /// <summary>
    /// Moves to the next key and value in the range without copying them (see <see cref="Current"/>); false at the end.
    /// </summary>
    /// <remarks>Completes synchronously while the sources do (rows of loaded blocks and memtables).</remarks>
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        // Failures are reported through the returned task, as from an async method.
        try
        {
            var moved = MoveMergeAsync(cancellationToken);
#pragma warning disable VSTHRD103 // Result is read only after IsCompletedSuccessfully: it never blocks.
            return moved.IsCompletedSuccessfully ? new ValueTask<bool>(Hold(moved.Result)) : HoldAsync(moved);
#pragma warning restore VSTHRD103
        }
        catch (Exception e)
        {
            return ValueTask.FromException<bool>(e);
        }
    }

    /// <summary>The next key and value in the range, or null at the end. The returned memory is the caller's.</summary>
    /// <remarks>Completes synchronously while the sources do (rows of loaded blocks and memtables).</remarks>
    public ValueTask<KeyValue?> NextAsync(CancellationToken cancellationToken)
    {
        // Failures are reported through the returned task, as from an async method.
        try
        {
            var moved = MoveMergeAsync(cancellationToken);
#pragma warning disable VSTHRD103 // Result is read only after IsCompletedSuccessfully: it never blocks.
            return moved.IsCompletedSuccessfully ? new ValueTask<KeyValue?>(Take(moved.Result)) : TakeAsync(moved);
#pragma warning restore VSTHRD103
        }
        catch (Exception e)
        {
            return ValueTask.FromException<KeyValue?>(e);
        }
    }

    // Checks that the scan may move and moves its merge, opening it on the first move; false once the scan has ended.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ValueTask<bool> MoveMergeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _lifecycle.ThrowIfNotReadable();
        _scanToken.ThrowIfCancellationRequested();
        _current = default;
        if (_exhausted)
        {
            return new ValueTask<bool>(false);
        }

        return _merge is { } merge ? merge.MoveNextAsync(cancellationToken) : OpenAndMoveAsync(cancellationToken);
    }

    private async ValueTask<bool> OpenAndMoveAsync(CancellationToken cancellationToken)
    {
        var merge = _merge ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await merge.MoveNextAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> HoldAsync(ValueTask<bool> moved) => Hold(await moved.ConfigureAwait(false));

    private async ValueTask<KeyValue?> TakeAsync(ValueTask<bool> moved) => Take(await moved.ConfigureAwait(false));

    // The row the merge moved to (`moved`) when the scan returns it; otherwise the scan has ended.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryRow(bool moved, out Row row)
    {
        if (moved)
        {
            row = _merge!.Current;
            if (!_range.IsPastEnd(row.Key.Span))
            {
                return true;
            }
        }

        row = default;
        _exhausted = true;
        return false;
    }

    // The row the merge moved to (`moved`), held in place as Current: the key copied into the scan's buffer (the last key
    // returned must outlive the sources' next moves, for SeekAsync), the value as the source holds it. False at the end.
    private bool Hold(bool moved)
    {
        if (!TryRow(moved, out var row))
        {
            return false;
        }

        var key = row.Key.Span;
        if (_keyBuffer.Length < key.Length)
        {
            _keyBuffer = new byte[Math.Max(key.Length, Math.Max(64, _keyBuffer.Length * 2))];
        }

        key.CopyTo(_keyBuffer);
        var held = _keyBuffer.AsMemory(0, key.Length);
        _lastKey = held;
        _current = new KeyValue(held, row.Value, row.Seq);
        return true;
    }

    // The row the merge moved to (`moved`), copied for the caller: key and value share one array. Null at the end.
    private KeyValue? Take(bool moved)
    {
        if (!TryRow(moved, out var row))
        {
            return null;
        }

        var key = row.Key.Span;
        var data = GC.AllocateUninitializedArray<byte>(key.Length + row.Value.Length);
        key.CopyTo(data);
        row.Value.Span.CopyTo(data.AsSpan(key.Length));
        var copy = data.AsMemory(0, key.Length);
        _lastKey = copy;
        return new KeyValue(copy, data.AsMemory(key.Length), row.Seq);
    }

    /// <summary>Moves forward so the next key returned is the first one ≥ <paramref name="key"/>.</summary>
    public async ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _lifecycle.ThrowIfNotReadable();
        if (!_range.Contains(key.Span))
        {
            throw new ArgumentException($"Cannot seek to {Convert.ToHexString(key.Span)}: it is outside the scan's range {_range}.", nameof(key));
        }

        if (_lastKey is { } last && key.Span.SequenceCompareTo(last.Span) <= 0)
        {
            throw new ArgumentException(
                $"Cannot seek to {Convert.ToHexString(key.Span)}: a scan only moves forward, and it already returned {Convert.ToHexString(last.Span)}.",
                nameof(key));
        }

        _current = default;
        var merge = _merge ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
        await merge.SeekAsync(key, cancellationToken).ConfigureAwait(false);
        _exhausted = false;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (_merge is not null)
            {
                await _merge.DisposeAsync().ConfigureAwait(false);
            }
            else if (_overlay is not null)
            {
                await _overlay.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _snapshot.Dispose();
        }
    }

    private async ValueTask<IRowIterator> OpenAsync(CancellationToken cancellationToken)
    {
        // Blocks where the scan starts are cached like a point lookup's; the blocks it reads ahead are not, so a long scan
        // does not evict the working set of point lookups. Every source shares the scan's read-ahead budget.
        var readOptions = new SstReadOptions
        {
            CacheBlocks = false,
            CacheStartBlocks = true,
            ReadAhead = _readAheadBytes > 0 ? ReadAheadBudget.ForScan(_readAheadBytes) : null,
        };
        // Each source waits in the merge at a key at or below its first row (the memtables and the overlay at the start),
        // so an SST is only opened once the scan reaches its first key: a short scan reads only the SSTs it needs.
        var count = (_overlay is null ? 1 : 2) + _state.Immutables.Length + _state.L0.Length + _state.SortedRuns.Length;
        var sources = new List<IRowIterator>(count);
        var bounds = new List<ReadOnlyMemory<byte>>(count);
        if (_overlay is not null)
        {
            // At the bound, and first: it wins over a source row with the same key and seq, and hides older ones.
            sources.Add(_overlay);
            bounds.Add(default);
        }

        sources.Add(_state.Active.CreateIterator(_range));
        bounds.Add(default);
        foreach (var frozen in _state.Immutables)
        {
            sources.Add(frozen.CreateIterator(_range));
            bounds.Add(default);
        }

        foreach (var table in _state.L0)
        {
            if (table.Overlaps(_range))
            {
                sources.Add(new TableIterator(table, _range, _tables, readOptions));
                bounds.Add(table.FirstKey);
            }
        }

        foreach (var run in _state.SortedRuns)
        {
            var runRows = new SortedRunIterator(run, _range, _tables, readOptions);
            sources.Add(runRows);
            bounds.Add(runRows.LowerBound);
        }

        // Every visible version not deleted by a range tombstone goes to the resolver, which keeps the newest unless merge
        // operands or expiry need older ones.
        var merge = new MergeIterator(sources, new MergeOptions { MaxSeq = _bound, NewestOnly = false, HideTombstones = false }, bounds);
        RangeTombstoneList tombstones;
        try
        {
            tombstones = await RangeTombstoneSources.CollectAsync(_state, _range, _bound, _tables, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await merge.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new ResolvingIterator(tombstones.IsEmpty ? merge : new RangeTombstoneFilter(merge, tombstones, _bound), _resolution);
    }
}
