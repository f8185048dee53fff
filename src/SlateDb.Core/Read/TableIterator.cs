using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Iterates one SST (an L0 SST of a scan) within a key range, opening it only on the first move or seek, so an SST a
/// merge never reaches (<see cref="MergeIterator"/>'s waiting sources) costs neither a table-cache lookup nor a block.
/// </summary>
internal sealed class TableIterator(TableView table, KeyRange range, TableCache tables, SstReadOptions options) : IRowIterator
{
    private IRowIterator? _rows;

    /// <inheritdoc />
    public Row Current => _rows!.Current;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
        => _rows is { } rows ? rows.MoveNextAsync(cancellationToken) : OpenAndMoveAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        var rows = _rows ?? await OpenAsync(cancellationToken).ConfigureAwait(false);
        await rows.SeekAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _rows?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async ValueTask<bool> OpenAndMoveAsync(CancellationToken cancellationToken)
    {
        var rows = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await rows.MoveNextAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<IRowIterator> OpenAsync(CancellationToken cancellationToken)
    {
        var reader = await tables.GetAsync(table, cancellationToken).ConfigureAwait(false);
        return _rows = reader.CreateIterator(range, options);
    }
}
