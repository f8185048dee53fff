using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Point lookups: the newest version of a key with seq ≤ the visibility bound, searching the sources newest first
/// (active memtable, frozen memtables, L0 newest first, sorted runs newest first) and stopping at the first hit.
/// A tombstone hit means "absent".
/// </summary>
/// <remarks>
/// Memtable hits, and SST lookups whose reader is open and whose block is cached, complete synchronously without an
/// async state machine; the first step that has to wait for the store hands over to an async continuation that
/// resumes at the same source.
/// </remarks>
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

    /// <summary>
    /// Searches the SSTs of <paramref name="state"/>; each SST's lookup consults its key range and bloom filter first.
    /// Rows found refer to <paramref name="key"/> and are turned into a value before anything else runs.
    /// </summary>
#pragma warning disable VSTHRD103 // Result is read only after IsCompletedSuccessfully: it never blocks.
    public static ValueTask<byte[]?> GetFromTablesAsync(
        DbState state, TableCache tables, ReadOnlyMemory<byte> key, ulong bound, CancellationToken cancellationToken)
    {
        var sources = state.L0.Length + state.SortedRuns.Length;
        for (var source = 0; source < sources; source++)
        {
            if (TableFor(state, source, key.Span) is not { } table)
            {
                continue;
            }

            var opening = tables.GetAsync(table, cancellationToken);
            if (!opening.IsCompletedSuccessfully)
            {
                return ContinueAsync(state, tables, key, bound, source, opening, null, cancellationToken);
            }

            var lookup = opening.Result.FindAsync(key, bound, cancellationToken);
            if (!lookup.IsCompletedSuccessfully)
            {
                return ContinueAsync(state, tables, key, bound, source, null, lookup, cancellationToken);
            }

            if (lookup.Result is { } row)
            {
                return new ValueTask<byte[]?>(ValueOf(row));
            }
        }

        return new ValueTask<byte[]?>((byte[]?)null);
    }
#pragma warning restore VSTHRD103

    /// <summary>The value a found row means for a reader: null for a tombstone, else a copy the caller owns.</summary>
    public static byte[]? ValueOf(in Row row) => row.Kind == RowKind.Delete ? null : row.Value.ToArray();

    // Source i: the L0 SSTs first (newest first), then the one SST of each sorted run that can hold the key.
    internal static TableView? TableFor(DbState state, int source, ReadOnlySpan<byte> key)
    {
        if (source < state.L0.Length)
        {
            var table = state.L0[source];
            return table.Covers(key) ? table : null;
        }

        return state.SortedRuns[source - state.L0.Length].Find(key);
    }

    // Resumes at `source`: either its reader is still opening, or its lookup is in flight.
    private static async ValueTask<byte[]?> ContinueAsync(
        DbState state,
        TableCache tables,
        ReadOnlyMemory<byte> key,
        ulong bound,
        int source,
        ValueTask<SstReader>? opening,
        ValueTask<Row?>? lookup,
        CancellationToken cancellationToken)
    {
        var sources = state.L0.Length + state.SortedRuns.Length;
        for (; source < sources; source++)
        {
            Row? found;
            if (lookup is { } pendingLookup)
            {
                found = await pendingLookup.ConfigureAwait(false);
                lookup = null;
            }
            else
            {
                SstReader reader;
                if (opening is { } pendingOpen)
                {
                    reader = await pendingOpen.ConfigureAwait(false);
                    opening = null;
                }
                else if (TableFor(state, source, key.Span) is { } table)
                {
                    reader = await tables.GetAsync(table, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    continue;
                }

                found = await reader.FindAsync(key, bound, cancellationToken).ConfigureAwait(false);
            }

            if (found is { } row)
            {
                return ValueOf(row);
            }
        }

        return null;
    }
}
