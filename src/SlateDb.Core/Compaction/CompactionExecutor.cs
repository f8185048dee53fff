using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Read;

namespace SlateDb.Compaction;

// Runs one compaction: a streaming k-way merge of its inputs into SSTs of about the target size.
//
// Invariants
//  1. Inputs are read sequentially with their own readers (read-ahead, no block cache): a compaction never evicts
//     the blocks point reads use.
//  2. The key space is split into disjoint ranges at keys sampled from the inputs' indexes; each range is merged on
//     its own (in parallel), and the outputs, concatenated in range order, are key-ordered and disjoint.
//  3. An output SST ends only between two keys, never between two versions of one key, so the run's SSTs have
//     disjoint key ranges and a lookup finds every version of a key in one SST.
//  4. Every output SST's id is a ULID at or after the job id, and it is stored (create-if-absent) before the job
//     returns; nothing here touches the manifest, so a failure leaves only unreferenced objects.
//
// Outline
//   open input readers → sample split keys → per range: MergeIterator (every version) → RangeTombstoneFilter (rows
//   the inputs' range tombstones delete for every reader) → RetentionIterator → SstWriter, rolled at the target size
//   at a key boundary, with the range tombstones still needed cut to each output's slice of the key space →
//   PUT compacted/<ULID>.sst → handles in key order.

/// <summary>Merges the inputs of one <see cref="CompactionSpec"/> into new SSTs.</summary>
internal sealed class CompactionExecutor
{
    private const int MaxIdAttempts = 16;
    private const int SamplesPerSst = 32;

    private readonly IObjectStore _store;
    private readonly DbPaths _paths;
    private readonly Settings _format;
    private readonly CompactorSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="store">The main store (with retries).</param>
    /// <param name="paths">The database's object names.</param>
    /// <param name="format">Block size, compression and filters of the output SSTs.</param>
    /// <param name="settings">Target size, parallelism and read-ahead.</param>
    /// <param name="time">Stamps the output SSTs and decides which rows have expired.</param>
    /// <param name="logger">Told about a merge operator that threw (its operands are then kept unmerged).</param>
    public CompactionExecutor(IObjectStore store, DbPaths paths, Settings format, CompactorSettings settings, TimeProvider time, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _store = store;
        _paths = paths;
        _format = format;
        _settings = settings;
        _time = time;
    }

    /// <summary>Merges the inputs of <paramref name="spec"/> (as listed in <paramref name="manifest"/>) and stores the outputs.</summary>
    /// <param name="spec">What to merge.</param>
    /// <param name="manifest">The manifest the spec was picked from (it locates SSTs of clone parents).</param>
    /// <param name="jobId">The job's id; every output id is at or after it.</param>
    /// <param name="minSeq">Versions above this seq are all kept (see <see cref="RetentionIterator"/>).</param>
    /// <param name="random">Randomness for the output ids (forked per range).</param>
    /// <param name="cancellationToken">Stops the merge; stored outputs stay unreferenced.</param>
    public async Task<CompactionResult> RunAsync(
        CompactionSpec spec, ManifestData manifest, Ulid jobId, ulong minSeq, DbRandom random, CancellationToken cancellationToken)
    {
        var tables = new TableCache(_store, blockCache: null);
        var l0Ids = spec.L0.Select(h => h.Id.ToUlid().ToString()).ToHashSet(StringComparer.Ordinal);
        var l0 = Array.FindAll(ManifestViews.L0(manifest, _paths), v => l0Ids.Contains(v.Id));
        var runIds = spec.Runs.Select(r => r.Id).ToHashSet();
        var runs = Array.FindAll(ManifestViews.SortedRuns(manifest, _paths), r => runIds.Contains(r.Id));
        if (l0.Length != spec.L0.Count || runs.Length != spec.Runs.Count)
        {
            throw new SlateDbException(SlateDbErrorKind.Internal, $"The inputs of the compaction {spec} are not all in the manifest it was picked from.");
        }

        var readers = new List<SstReader>();
        foreach (var view in l0.Concat(runs.SelectMany(r => r.Tables)))
        {
            readers.Add(await tables.GetAsync(view, cancellationToken).ConfigureAwait(false));
        }

        var tombstones = RangeTombstoneList.Combine(readers.Select(r => r.RangeTombstones));
        var ranges = SplitRanges(readers, spec.InputBytes);
        var work = new Task<RangeResult>[ranges.Count];
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            var rangeRandom = random.Fork();
            work[i] = Task.Run(() => MergeRangeAsync(range, l0, runs, tables, tombstones, spec.IsBottom, minSeq, jobId, rangeRandom, cancellationToken), cancellationToken);
        }

        var results = await Task.WhenAll(work).ConfigureAwait(false);
        var outputs = new List<SstHandle>();
        long rowsIn = 0, rowsOut = 0, bytesOut = 0;
        foreach (var result in results)
        {
            outputs.AddRange(result.Outputs);
            rowsIn += result.RowsIn;
            rowsOut += result.RowsOut;
            bytesOut += result.BytesOut;
        }

        return new CompactionResult(outputs, rowsIn, rowsOut, spec.InputBytes, bytesOut);
    }

    /// <summary>
    /// Up to <see cref="CompactorSettings.MaxSubcompactions"/> disjoint ranges covering every key, cut at index keys of
    /// the inputs so that each range holds about the same input bytes (one range for inputs below two target SSTs).
    /// </summary>
    internal List<KeyRange> SplitRanges(IReadOnlyList<SstReader> readers, long inputBytes)
    {
        var count = (int)Math.Clamp(inputBytes / _settings.TargetSstSizeBytes, 1, _settings.MaxSubcompactions);
        if (count == 1)
        {
            return [KeyRange.All];
        }

        var samples = new List<(byte[] Key, long Weight)>();
        foreach (var reader in readers)
        {
            var blocks = reader.BlockCount;
            if (blocks == 0)
            {
                continue;
            }

            var step = Math.Max(1, blocks / SamplesPerSst);
            var weight = Math.Max(1, reader.Info.Size * step / blocks);
            for (var b = 0; b < blocks; b += step)
            {
                samples.Add((reader.Index.Key(b).ToArray(), weight));
            }
        }

        samples.Sort((a, b) => KeyCompare.Compare(a.Key, b.Key));
        var total = samples.Sum(s => s.Weight);
        var cuts = new List<byte[]>();
        long seen = 0;
        foreach (var (key, weight) in samples)
        {
            seen += weight;
            if (cuts.Count < count - 1 && seen >= total * (cuts.Count + 1) / count
                && (cuts.Count == 0 || KeyCompare.Compare(key, cuts[^1]) > 0))
            {
                cuts.Add(key);
            }
        }

        var ranges = new List<KeyRange>(cuts.Count + 1);
        ReadOnlyMemory<byte>? start = null;
        foreach (var cut in cuts)
        {
            ranges.Add(KeyRange.Of(start, cut));
            start = cut;
        }

        ranges.Add(KeyRange.Of(start, null));
        return ranges;
    }

    private async Task<RangeResult> MergeRangeAsync(
        KeyRange range,
        TableView[] l0,
        SortedRunView[] runs,
        TableCache tables,
        RangeTombstoneList tombstones,
        bool bottom,
        ulong minSeq,
        Ulid jobId,
        DbRandom random,
        CancellationToken cancellationToken)
    {
        var readOptions = new SstReadOptions { CacheBlocks = false, ReadAhead = ReadAheadBudget.FixedGroups(_settings.ReadAheadBlocks) };
        var sources = new List<IRowIterator>(l0.Length + runs.Length);
        foreach (var view in l0)
        {
            sources.Add((await tables.GetAsync(view, cancellationToken).ConfigureAwait(false)).CreateIterator(range, readOptions));
        }

        foreach (var run in runs)
        {
            sources.Add(new SortedRunIterator(run, range, tables, readOptions));
        }

        var merge = new MergeIterator(sources, new MergeOptions { NewestOnly = false, HideTombstones = false });
        var covered = tombstones.IsEmpty ? null : new RangeTombstoneFilter(merge, tombstones, minSeq);
        var rows = new RetentionIterator(
            (IRowIterator?)covered ?? merge, minSeq, bottom, _time.GetUtcNow().ToUnixTimeMilliseconds(), _format.MergeOperator,
            (key, e) => Log.MergeKeptUnfolded(_logger, _paths.Root, "a compaction", Convert.ToHexString(key.Span), e));

        // The range tombstones the outputs keep, cut to this range; each output SST gets the part from where the
        // previous one stopped to its successor's first key, so the outputs' reaches stay disjoint.
        var keptTombstones = tombstones.Retain(minSeq, bottom).Clip(range.Start, range.End);
        ReadOnlyMemory<byte>? outputStart = range.Start;
        var outputs = new List<SstHandle>();
        var buffer = new ByteBuffer((int)Math.Min(_settings.TargetSstSizeBytes + (1L << 20), Array.MaxLength));
        long rowsIn = 0, rowsOut = 0, bytesOut = 0;
        SstWriter? writer = null;
        var lastKey = new byte[64];
        var lastKeyLength = 0;
        try
        {
            await using (rows.ConfigureAwait(false))
            {
                while (await rows.MoveNextAsync(cancellationToken).ConfigureAwait(false))
                {
                    var row = rows.Current;
                    if (writer is not null && writer.EstimatedSize >= _settings.TargetSstSizeBytes && !SameKey(row, lastKey, lastKeyLength))
                    {
                        var boundary = row.Key.ToArray();
                        AddTombstones(writer, keptTombstones.Clip(outputStart, boundary));
                        outputStart = boundary;
                        var stored = await StoreAsync(writer, jobId, random, cancellationToken).ConfigureAwait(false);
                        writer.Dispose();
                        writer = null;
                        outputs.Add(stored);
                        bytesOut += (long)stored.Size;
                    }

                    writer ??= new SstWriter(WriterOptions(), buffer);
                    writer.Add(row);
                    rowsOut++;
                    lastKeyLength = Remember(row, ref lastKey);
                }

                rowsIn = rowsOut + rows.Dropped + (covered?.Dropped ?? 0);
            }

            var rest = keptTombstones.Clip(outputStart, range.End);
            if (!rest.IsEmpty)
            {
                writer ??= new SstWriter(WriterOptions(), buffer);
                writer.AddRangeTombstones(rest);
            }

            if (writer is not null && (writer.RowCount > 0 || writer.HasRangeTombstones))
            {
                var stored = await StoreAsync(writer, jobId, random, cancellationToken).ConfigureAwait(false);
                outputs.Add(stored);
                bytesOut += (long)stored.Size;
            }
        }
        finally
        {
            writer?.Dispose();
        }

        return new RangeResult(outputs, rowsIn, rowsOut, bytesOut);
    }

    private static void AddTombstones(SstWriter writer, RangeTombstoneList tombstones)
    {
        if (!tombstones.IsEmpty)
        {
            writer.AddRangeTombstones(tombstones);
        }
    }

    private static bool SameKey(in Row row, byte[] key, int length) => row.Key.Span.SequenceEqual(key.AsSpan(0, length));

    private static int Remember(in Row row, ref byte[] buffer)
    {
        var key = row.Key.Span;
        if (key.Length > buffer.Length)
        {
            buffer = new byte[Math.Max(key.Length, buffer.Length * 2)];
        }

        key.CopyTo(buffer);
        return key.Length;
    }

    private SstWriterOptions WriterOptions() => new()
    {
        BlockSize = _format.BlockSize,
        Compression = _format.Compression,
        BloomBitsPerKey = _format.BloomBitsPerKey,
        MinFilterKeys = _format.MinFilterKeys,
        Kind = SstKind.Compacted,
        CreationTimeMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        ExpectedSizeBytes = (int)Math.Min(_settings.TargetSstSizeBytes + (1L << 20), Array.MaxLength),
    };

    private async Task<SstHandle> StoreAsync(SstWriter writer, Ulid jobId, DbRandom random, CancellationToken cancellationToken)
    {
        var built = writer.Finish();
        for (var attempt = 1; ; attempt++)
        {
            var id = NextOutputId(jobId, random);
            try
            {
                await _store.PutAsync(_paths.CompactedSstPath(id), built.Data, PutMode.Create, cancellationToken).ConfigureAwait(false);
                return ManifestViews.ToHandle(id, built.Info);
            }
            catch (ObjectAlreadyExistsException) when (attempt < MaxIdAttempts)
            {
            }
        }
    }

    // A ULID at or after the job id (GC spares every SST at or after the oldest running job's id).
    private Ulid NextOutputId(Ulid jobId, DbRandom random)
    {
        var now = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), jobId.TimestampMs);
        var id = random.NextUlid(now);
        return id >= jobId ? id : random.NextUlid(jobId.TimestampMs + 1);
    }

    private sealed record RangeResult(List<SstHandle> Outputs, long RowsIn, long RowsOut, long BytesOut);
}

/// <summary>What a compaction wrote.</summary>
/// <param name="Outputs">The output SSTs in key order (empty when every row was dropped).</param>
/// <param name="RowsIn">Rows read from the inputs.</param>
/// <param name="RowsOut">Rows written.</param>
/// <param name="BytesIn">Bytes of the input SSTs.</param>
/// <param name="BytesOut">Bytes of the output SSTs.</param>
internal sealed record CompactionResult(IReadOnlyList<SstHandle> Outputs, long RowsIn, long RowsOut, long BytesIn, long BytesOut);
