using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Point lookups: the newest version of a key with seq ≤ the visibility bound, searching the sources newest first
/// (active memtable, frozen memtables, L0 newest first, sorted runs newest first) and stopping at the first hit.
/// A tombstone hit means "absent". Memtable hits complete without any asynchronous machinery.
/// </summary>
internal static class PointLookup
{
    /// <summary>Searches the memtables of <paramref name="state"/>; true when one holds a version of the key.</summary>
    public static bool TryGetFromMemtables(DbState state, ReadOnlySpan<byte> key, ulong bound, out Row row)
    {
        if (state.Active.TryGet(key, bound, out row))
        {
            return true;
        }

        foreach (var frozen in state.Immutables)
        {
            if (frozen.TryGet(key, bound, out row))
            {
                return true;
            }
        }

        row = default;
        return false;
    }

    /// <summary>Searches the SSTs of <paramref name="state"/>, consulting each SST's key range and bloom filter first.</summary>
    public static async ValueTask<byte[]?> GetFromTablesAsync(
        DbState state, TableCache tables, ReadOnlyMemory<byte> key, ulong bound, CancellationToken cancellationToken)
    {
        foreach (var table in state.L0)
        {
            if (table.Covers(key.Span)
                && await TryTableAsync(tables, table, key, bound, cancellationToken).ConfigureAwait(false) is { } row)
            {
                return ValueOf(row);
            }
        }

        foreach (var run in state.SortedRuns)
        {
            if (run.Find(key.Span) is { } table
                && await TryTableAsync(tables, table, key, bound, cancellationToken).ConfigureAwait(false) is { } row)
            {
                return ValueOf(row);
            }
        }

        return null;
    }

    /// <summary>The value a found row means for a reader: null for a tombstone, else a copy the caller owns.</summary>
    public static byte[]? ValueOf(in Row row) => row.Kind == RowKind.Delete ? null : row.Value.ToArray();

    private static async ValueTask<Row?> TryTableAsync(
        TableCache tables, TableView table, ReadOnlyMemory<byte> key, ulong bound, CancellationToken cancellationToken)
    {
        var reader = await tables.GetAsync(table, cancellationToken).ConfigureAwait(false);
        if (!reader.MightContain(key.Span))
        {
            return null;
        }

        return await reader.GetAsync(key, bound, cancellationToken).ConfigureAwait(false);
    }
}
