using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// A forward iterator over rows in (key ascending, seq descending) order: the shape memtables, blocks, SSTs,
/// sorted runs and merges share so they compose.
/// </summary>
/// <remarks>
/// <see cref="Current"/>, including the memory its key and value point at, is valid only until the next call to
/// <see cref="MoveNextAsync"/> or <see cref="SeekAsync"/>; callers that keep a row call <see cref="Row.Detach"/>.
/// Implementations complete synchronously whenever the data is in memory, so a <see cref="ValueTask"/> costs nothing there.
/// </remarks>
internal interface IRowIterator : IAsyncDisposable
{
    /// <summary>The row the iterator is on. Undefined before the first successful <see cref="MoveNextAsync"/>.</summary>
    Row Current { get; }

    /// <summary>Moves to the next row; false when there is none (then the iterator stays exhausted).</summary>
    ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Positions the iterator so that the next <see cref="MoveNextAsync"/> returns the first row whose key is
    /// greater than or equal to <paramref name="key"/> (and within the iterator's range). Seeking backwards is allowed.
    /// </summary>
    ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default);
}
