using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Point lookups: the newest version of a key with seq ≤ the visibility bound, searching the sources newest first
/// (active memtable, frozen memtables, L0 newest first, sorted runs newest first) and stopping at the first hit.
/// A tombstone hit means "absent". A merge operand hit, or an expired one, needs older versions: the key is then resolved
/// in full by <see cref="ResolveAsync"/> (through <see cref="VersionResolver"/>).
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
        DbState state, TableCache tables, ReadOnlyMemory<byte> key, ulong bound, ReadResolution resolution, CancellationToken cancellationToken)
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
                return ContinueAsync(state, tables, key, bound, resolution, source, opening, null, cancellationToken);
            }

            var lookup = opening.Result.FindAsync(key, bound, cancellationToken);
            if (!lookup.IsCompletedSuccessfully)
            {
                return ContinueAsync(state, tables, key, bound, resolution, source, null, lookup, cancellationToken);
            }

            if (lookup.Result is { } row)
            {
                return VersionResolver.TrySettle(row, resolution.Time, out var value)
                    ? new ValueTask<byte[]?>(value)
                    : ResolveAsync(state, tables, key, bound, resolution.NewResolver(), cancellationToken);
            }
        }

        return new ValueTask<byte[]?>((byte[]?)null);
    }
#pragma warning restore VSTHRD103

    /// <summary>
    /// The value of <paramref name="key"/> at <paramref name="bound"/>, feeding <paramref name="resolver"/> every version
    /// newest first (memtables, then SSTs) until one settles it; for keys whose newest version is a merge operand.
    /// </summary>
    /// <exception cref="MergeOperatorException">The key's operands cannot be merged.</exception>
    public static async ValueTask<byte[]?> ResolveAsync(
        DbState state, TableCache tables, ReadOnlyMemory<byte> key, ulong bound, VersionResolver resolver, CancellationToken cancellationToken)
    {
        var below = bound;
        if (Walk(state.Active, key.Span, ref below, resolver))
        {
            return resolver.Result(key);
        }

        foreach (var frozen in state.Immutables)
        {
            if (Walk(frozen.Table, key.Span, ref below, resolver))
            {
                return resolver.Result(key);
            }
        }

        var sources = state.L0.Length + state.SortedRuns.Length;
        for (var source = 0; source < sources; source++)
        {
            if (TableFor(state, source, key.Span) is not { } table)
            {
                continue;
            }

            var reader = await tables.GetAsync(table, cancellationToken).ConfigureAwait(false);
            while (await reader.FindAsync(key, below, cancellationToken).ConfigureAwait(false) is { } row)
            {
                // Block memory may be reused once the block leaves the cache: operands are copied.
                if (resolver.Add(row, copy: true))
                {
                    return resolver.Result(key);
                }

                if (row.Seq == 0)
                {
                    break;
                }

                below = row.Seq - 1;
            }
        }

        return resolver.Result(key);

        // Memtable rows stay valid for the table's lifetime: no copies.
        static bool Walk(Memtables.Memtable memtable, ReadOnlySpan<byte> key, ref ulong below, VersionResolver resolver)
        {
            while (memtable.TryGet(key, below, out var row))
            {
                if (resolver.Add(row, copy: false))
                {
                    return true;
                }

                if (row.Seq == 0)
                {
                    return false;
                }

                below = row.Seq - 1;
            }

            return false;
        }
    }

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
        ReadResolution resolution,
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
                return VersionResolver.TrySettle(row, resolution.Time, out var value)
                    ? value
                    : await ResolveAsync(state, tables, key, bound, resolution.NewResolver(), cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }
}
