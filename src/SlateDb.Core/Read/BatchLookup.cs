using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Batched point lookups: the values of many keys at one visibility bound, equal to one <see cref="PointLookup"/> per
/// key, with the lookups that meet in one SST sharing its reader and its blocks.
/// </summary>
/// <remarks>
/// <para><b>Outline.</b> Duplicate keys are looked up once. Every key first tries the memtables. The rest go through
/// the SST sources newest first (L0 newest first, then each sorted run), one source at a time, as a single lookup
/// would: in a source, the keys are grouped by the SST that can hold them; each SST's key range and bloom filter drop
/// keys it cannot hold; the first block each remaining key needs is taken from the block cache, and the blocks that are
/// not cached are fetched with ranged GETs that each cover a run of blocks close together in the object (gaps up to
/// <see cref="CoalesceGapBytes"/>, at most <see cref="MaxFetchBytes"/> per GET). A key whose versions continue past
/// that block reads the next blocks one by one, as a single lookup does. A key found (value or tombstone) is settled
/// and leaves the later sources. A key whose newest version is a merge operand is resolved at the end through all its
/// versions (<see cref="PointLookup.ResolveAsync"/>).</para>
/// <para><b>Bounds.</b> At most <see cref="MaxConcurrentFetches"/> store requests (SST opens and block GETs) of one
/// call are in flight at once. Fetched blocks go into the block cache, when there is one.</para>
/// </remarks>
internal static class BatchLookup
{
    /// <summary>The most store requests one batched lookup has in flight.</summary>
    public const int MaxConcurrentFetches = 8;

    /// <summary>The largest gap between two needed blocks that one GET still spans (the bytes between are read and dropped).</summary>
    public const long CoalesceGapBytes = 16 * 1024;

    /// <summary>The most bytes one coalesced GET reads.</summary>
    public const long MaxFetchBytes = 4L * 1024 * 1024;

    /// <summary>The value of each of <paramref name="keys"/> (null when absent or deleted), in order; arrays are the caller's.</summary>
    public static async Task<byte[]?[]> GetManyAsync(
        DbState state, TableCache tables, IReadOnlyList<ReadOnlyMemory<byte>> keys, ulong bound, ReadResolution resolution, CancellationToken cancellationToken)
    {
        var probes = Distinct(keys);
        var time = resolution.Time;
        var pending = new List<Probe>(probes.Count);
        foreach (var probe in probes)
        {
            if (PointLookup.TryGetFromMemtables(state, probe.Key.Span, bound, out var row))
            {
                probe.Settle(row, time);
            }
            else
            {
                pending.Add(probe);
            }
        }

        using var fetches = new SemaphoreSlim(MaxConcurrentFetches);
        var sources = state.L0.Length + state.SortedRuns.Length;
        for (var source = 0; source < sources && pending.Count > 0; source++)
        {
            var byTable = new Dictionary<TableView, List<Probe>>(ReferenceEqualityComparer.Instance);
            foreach (var probe in pending)
            {
                if (PointLookup.TableFor(state, source, probe.Key.Span) is { } table)
                {
                    if (!byTable.TryGetValue(table, out var inTable))
                    {
                        byTable[table] = inTable = [];
                    }

                    inTable.Add(probe);
                }
            }

            if (byTable.Count == 1)
            {
                var (table, inTable) = byTable.First();
                await LookUpInTableAsync(table, inTable, tables, bound, time, fetches, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var lookups = new List<Task>(byTable.Count);
                foreach (var (table, inTable) in byTable)
                {
                    lookups.Add(LookUpInTableAsync(table, inTable, tables, bound, time, fetches, cancellationToken));
                }

                await Task.WhenAll(lookups).ConfigureAwait(false);
            }
            pending.RemoveAll(p => p.IsSettled);
        }

        // Keys whose newest version is a merge operand are resolved one by one, through every version they have.
        foreach (var probe in probes)
        {
            if (probe.NeedsResolution)
            {
                probe.Settle(await PointLookup.ResolveAsync(state, tables, probe.Key, bound, resolution.NewResolver(), cancellationToken).ConfigureAwait(false));
            }
        }

        var results = new byte[]?[keys.Count];
        foreach (var probe in probes)
        {
            for (var i = 0; i < probe.Indices.Count; i++)
            {
                results[probe.Indices[i]] = i == 0 ? probe.Value : probe.Value?.ToArray();
            }
        }

        return results;
    }

    // The distinct keys in key order, each with the positions it has in `keys`.
    private static List<Probe> Distinct(IReadOnlyList<ReadOnlyMemory<byte>> keys)
    {
        var order = new int[keys.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => a == b ? 0 : KeyCompare.Compare(keys[a].Span, keys[b].Span) is var c && c != 0 ? c : a.CompareTo(b));
        var probes = new List<Probe>();
        foreach (var index in order)
        {
            if (probes.Count > 0 && keys[index].Span.SequenceEqual(probes[^1].Key.Span))
            {
                probes[^1].Indices.Add(index);
            }
            else
            {
                probes.Add(new Probe(keys[index], index));
            }
        }

        return probes;
    }

    private static async Task LookUpInTableAsync(
        TableView table, List<Probe> probes, TableCache tables, ulong bound, TimeProvider time, SemaphoreSlim fetches, CancellationToken cancellationToken)
    {
        if (!tables.TryGetOpen(table, out var reader))
        {
            await fetches.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                reader = await tables.GetAsync(table, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                fetches.Release();
            }
        }

        // The first block each key that may be here needs; keys are in key order, so blocks come out ascending.
        // A key a range tombstone of this SST covers is settled here whatever the blocks hold (deleted unless a newer
        // row turns up); the bloom filter is not asked about it.
        var candidates = new List<(Probe Probe, int Block)>(probes.Count);
        foreach (var probe in probes)
        {
            probe.Covering = reader.RangeTombstones.CoveringSeq(probe.Key.Span, bound);
            var block = reader.MightContain(probe.Key.Span) ? reader.Index.FindFirstBlock(probe.Key.Span) : reader.BlockCount;
            if (block < reader.BlockCount)
            {
                candidates.Add((probe, block));
            }
            else if (probe.Covering > 0)
            {
                probe.Settle(null);
            }
        }

        var blocks = await FetchFirstBlocksAsync(reader, candidates, fetches, cancellationToken).ConfigureAwait(false);
        foreach (var (probe, first) in candidates)
        {
            for (var i = first; i < reader.BlockCount; i++)
            {
                var block = blocks.TryGetValue(i, out var fetched) || reader.TryGetCached(i, out fetched)
                    ? fetched
                    : await reader.ReadBlockAsync(i, cache: true, cancellationToken).ConfigureAwait(false);
                var result = BlockSearch.Find(block, probe.Key.Span, bound, probe.Key, out var row);
                if (result == BlockSearchResult.Found)
                {
                    // A version older than a range tombstone of this SST that covers the key is deleted.
                    if (row.Seq >= probe.Covering)
                    {
                        probe.Settle(row, time);
                    }
                    else
                    {
                        probe.Settle(null);
                    }
                }

                if (result != BlockSearchResult.MayContinue)
                {
                    break;
                }
            }

            if (!probe.IsSettled && probe.Covering > 0)
            {
                probe.Settle(null);
            }
        }
    }

    // The blocks in `candidates` (ascending) that are not cached, fetched in coalesced GETs (and cached).
    private static async Task<Dictionary<int, DataBlock>> FetchFirstBlocksAsync(
        SstReader reader, List<(Probe Probe, int Block)> candidates, SemaphoreSlim fetches, CancellationToken cancellationToken)
    {
        var blocks = new Dictionary<int, DataBlock>();
        var missing = new List<int>();
        foreach (var (_, needed) in candidates)
        {
            if (missing.Count > 0 && missing[^1] == needed)
            {
                continue;
            }

            if (!reader.IsCached(needed))
            {
                missing.Add(needed);
            }
        }

        if (missing.Count == 0)
        {
            return blocks;
        }

        var groups = new List<Task<(int First, int Count, ReadOnlyMemory<byte> Bytes)>>();
        var index = reader.Index;
        for (var start = 0; start < missing.Count;)
        {
            var end = start + 1;
            while (end < missing.Count
                   && index.BlockOffset(missing[end]) - (index.BlockOffset(missing[end - 1]) + index.BlockLength(missing[end - 1])) <= CoalesceGapBytes
                   && index.RangeLength(missing[start], missing[end] - missing[start] + 1) <= MaxFetchBytes)
            {
                end++;
            }

            groups.Add(FetchAsync(reader, missing[start], missing[end - 1] - missing[start] + 1, fetches, cancellationToken));
            start = end;
        }

        var neededSet = new HashSet<int>(missing);
        foreach (var (first, count, bytes) in await Task.WhenAll(groups).ConfigureAwait(false))
        {
            for (var i = first; i < first + count; i++)
            {
                if (neededSet.Contains(i))
                {
                    var block = reader.DecodeBlock(i, reader.SliceGroup(bytes, first, i));
                    reader.AddToCache(block);
                    blocks[i] = block;
                }
            }
        }

        return blocks;
    }

    private static async Task<(int First, int Count, ReadOnlyMemory<byte> Bytes)> FetchAsync(
        SstReader reader, int first, int count, SemaphoreSlim fetches, CancellationToken cancellationToken)
    {
        await fetches.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (first, count, await reader.FetchBlocksAsync(first, count, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            fetches.Release();
        }
    }

    // One distinct key of the call and what was found for it.
    private sealed class Probe(ReadOnlyMemory<byte> key, int index)
    {
        public ReadOnlyMemory<byte> Key { get; } = key;

        public List<int> Indices { get; } = [index];

        public byte[]? Value { get; private set; }

        public bool IsSettled { get; private set; }

        // The newest version found is a merge operand: the key is resolved through its older versions at the end.
        public bool NeedsResolution { get; private set; }

        /// <summary>The seq of the newest range tombstone covering the key in the SST being searched (0: none).</summary>
        public ulong Covering { get; set; }

        public void Settle(byte[]? value)
        {
            Value = value;
            IsSettled = true;
            NeedsResolution = false;
        }

        public void Settle(in Row row, TimeProvider time)
        {
            if (VersionResolver.TrySettle(row, time, out var value))
            {
                Settle(value);
            }
            else
            {
                IsSettled = true;
                NeedsResolution = true;
            }
        }
    }
}
