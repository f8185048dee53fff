using System.Diagnostics.CodeAnalysis;
using SlateDb.Cache;
using SlateDb.ObjectStore;
using SlateDb.Read;

namespace SlateDb.Format;

/// <summary>
/// Reads one SST. Opening reads and verifies the footer, properties, index and filter (kept in memory); data blocks
/// are fetched on demand with ranged GETs of exactly the blocks needed, verified, decompressed and, when a
/// <see cref="BlockCache"/> is given, cached. Safe for concurrent use.
/// </summary>
/// <remarks>
/// Every inconsistency raises <see cref="CorruptionException"/> naming the object and the part (footer, properties,
/// index, filter, block n). Object-store errors pass through unchanged; a missing object is
/// <see cref="ObjectNotFoundException"/>.
/// </remarks>
internal sealed class SstReader
{
    private readonly IObjectStore? _store;
    private readonly ReadOnlyMemory<byte> _data;
    private readonly SstBlockCache? _cache;
    private readonly IndexBlock _index;
    private readonly BloomFilter? _filter;

    private SstReader(
        IObjectStore? store, ReadOnlyMemory<byte> data, string path, BlockCache? cache, SstInfo info, IndexBlock index, BloomFilter? filter, RangeTombstoneList tombstones)
    {
        RangeTombstones = tombstones;
        _store = store;
        _data = data;
        Path = path;
        _cache = store is null || cache is null ? null : cache.ForSst(CacheIdOf(store, path), index.Count);
        Info = info;
        _index = index;
        _filter = filter;
    }

    /// <summary>The object's path.</summary>
    public string Path { get; }

    /// <summary>What the properties say about the SST.</summary>
    public SstInfo Info { get; }

    /// <summary>The SST's range tombstones (kept in memory while the reader is open; empty for most SSTs).</summary>
    public RangeTombstoneList RangeTombstones { get; }

    /// <summary>How many data blocks the SST has.</summary>
    public int BlockCount => _index.Count;

    /// <summary>Whether the SST has a bloom filter.</summary>
    public bool HasFilter => _filter is not null;

    /// <summary>
    /// The bytes the reader keeps in memory for its lifetime: the decoded index, the filter, the block cache hints and the properties' keys
    /// (what <see cref="TableCache"/> budgets). A store-backed reader holds exactly these (they are copied out of the
    /// read that fetched them).
    /// </summary>
    public long MetadataBytes
        => _index.MemorySize + (_filter?.SizeBytes ?? 0) + (_cache is null ? 0 : _index.Count * 8L) + Info.FirstKey.Length + Info.LastKey.Length + RangeTombstones.MemorySize + 256;

    /// <summary>The id under which the blocks of the SST at <paramref name="path"/> in <paramref name="store"/> are cached (see <see cref="BlockCache.Remove(string)"/>).</summary>
    public static string CacheIdOf(IObjectStore store, string path) => $"{store.Uri}|{path}";

    /// <summary>The decoded index (for tests and tools).</summary>
    internal IndexBlock Index => _index;

    /// <summary>Whether blocks come from memory rather than the store.</summary>
    internal bool InMemory => _store is null;

    /// <summary>
    /// Opens the SST at <paramref name="path"/>: a HEAD for its size, then one ranged GET of the tail, which for most
    /// SSTs also covers the index, filter and properties (else one more GET fetches them).
    /// </summary>
    public static Task<SstReader> OpenAsync(IObjectStore store, string path, BlockCache? cache = null, CancellationToken ct = default)
        => OpenCoreAsync(store, path, objectSize: null, cache, ct);

    /// <summary>
    /// As <see cref="OpenAsync(IObjectStore, string, BlockCache?, CancellationToken)"/>; a known <paramref name="objectSize"/>
    /// (from the manifest) saves the HEAD, null means unknown. (Pass a cache by name when the size is a literal null.)
    /// </summary>
    public static Task<SstReader> OpenAsync(IObjectStore store, string path, long? objectSize, BlockCache? cache = null, CancellationToken ct = default)
        => OpenCoreAsync(store, path, objectSize, cache, ct);

    private static async Task<SstReader> OpenCoreAsync(IObjectStore store, string path, long? objectSize, BlockCache? cache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(path);
        var size = objectSize ?? (await store.HeadAsync(path, ct).ConfigureAwait(false)).Size;
        CheckSize(size, path);
        var tailLength = Math.Min(size, SstFormat.InitialTailRead);
        var tailStart = size - tailLength;
        var tail = await ReadExactAsync(store, path, tailStart, tailLength, "footer", ct).ConfigureAwait(false);
        var footer = SstFooter.Read(tail.Span[^SstFormat.FooterLength..], size, path);
        var metadataLength = size - SstFormat.FooterLength - footer.MetadataStart;
        if (metadataLength > Array.MaxLength)
        {
            throw new CorruptionException(path, $"footer: {metadataLength} bytes of index, filter and properties exceed what a reader can hold");
        }

        var metadata = footer.MetadataStart >= tailStart
            ? tail.Slice((int)(footer.MetadataStart - tailStart), (int)metadataLength)
            : await ReadExactAsync(store, path, footer.MetadataStart, metadataLength, "index", ct).ConfigureAwait(false);
        var info = ReadProperties(footer, metadata, size, path);
        var tombstones = ReadOnlyMemory<byte>.Empty;
        if (info.RangeTombstones is { } summary)
        {
            CheckTombstoneBlock(summary, footer, path);
            tombstones = summary.BlockOffset >= tailStart
                ? tail.Slice((int)(summary.BlockOffset - tailStart), summary.BlockLength)
                : await ReadExactAsync(store, path, summary.BlockOffset, summary.BlockLength, "range tombstones", ct).ConfigureAwait(false);
        }

        return Create(store, ReadOnlyMemory<byte>.Empty, path, info, footer, metadata, tombstones, cache);
    }

    /// <summary>Opens an SST whose bytes are all in memory; blocks are decoded from <paramref name="data"/> on demand.</summary>
    public static SstReader Open(ReadOnlyMemory<byte> data, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckSize(data.Length, path);
        var footer = SstFooter.Read(data.Span[^SstFormat.FooterLength..], data.Length, path);
        var metadata = data[(int)footer.MetadataStart..^SstFormat.FooterLength];
        var info = ReadProperties(footer, metadata, data.Length, path);
        var tombstones = ReadOnlyMemory<byte>.Empty;
        if (info.RangeTombstones is { } summary)
        {
            CheckTombstoneBlock(summary, footer, path);
            tombstones = data.Slice((int)summary.BlockOffset, summary.BlockLength);
        }

        return Create(null, data, path, info, footer, metadata, tombstones, null);
    }

    /// <summary>False only when <paramref name="key"/> is certainly absent: outside the key range or rejected by the filter.</summary>
    public bool MightContain(ReadOnlySpan<byte> key)
        => Info.RowCount > 0 && KeyCompare.Compare(key, Info.FirstKey.Span) >= 0 && KeyCompare.Compare(key, Info.LastKey.Span) <= 0
           && (_filter is null || _filter.MightContain(key));

    /// <summary>
    /// The newest version of <paramref name="key"/> with <c>Seq ≤ maxSeq</c> (tombstones included), or null; when a range
    /// tombstone of the SST at or below <c>maxSeq</c> covers the key and is newer than that version, a point tombstone
    /// (no value) at the range tombstone's seq instead, so the bloom filter never hides a covering tombstone. The row's
    /// key is a copy and its value a slice of an immutable block, so it stays valid. Completes synchronously when every
    /// block it reads is in memory or cached.
    /// </summary>
    /// <exception cref="InvalidOperationException">The SST is a WAL SST (those are only iterated).</exception>
    public ValueTask<Row?> GetAsync(ReadOnlyMemory<byte> key, ulong maxSeq, CancellationToken ct = default)
        => LookupAsync(key, maxSeq, copyKey: true, ct);

    /// <summary>
    /// As <see cref="GetAsync"/>, except that the row's key is <paramref name="key"/> itself rather than a copy: for
    /// callers that read the row before the key's memory can change (point lookups, which only want the value).
    /// </summary>
    /// <exception cref="InvalidOperationException">The SST is a WAL SST (those are only iterated).</exception>
    internal ValueTask<Row?> FindAsync(ReadOnlyMemory<byte> key, ulong maxSeq, CancellationToken ct = default)
        => LookupAsync(key, maxSeq, copyKey: false, ct);

    // The synchronous part of a lookup: it walks the blocks that can hold the key while they are in memory or cached,
    // and hands over to an async continuation at the first block that has to be fetched.
    private ValueTask<Row?> LookupAsync(ReadOnlyMemory<byte> key, ulong maxSeq, bool copyKey, CancellationToken ct)
    {
        if (Info.Kind == SstKind.Wal)
        {
            return ValueTask.FromException<Row?>(new InvalidOperationException($"'{Path}' is a WAL SST; WAL SSTs are only iterated."));
        }

        var span = key.Span;
        var covering = RangeTombstones.CoveringSeq(span, maxSeq);
        if (!MightContain(span))
        {
            return covering == 0 ? default : new ValueTask<Row?>(Covered(key, covering, copyKey));
        }

        for (var i = _index.FindFirstBlock(span); i < _index.Count; i++)
        {
            if (!TryGetBlockNow(i, out var block))
            {
                return LookupFromAsync(i, key, maxSeq, covering, copyKey, ct);
            }

            var result = BlockSearch.Find(block, span, maxSeq, key, out var row);
            if (result != BlockSearchResult.MayContinue)
            {
                return new ValueTask<Row?>(Resolve(result == BlockSearchResult.Found ? row : null, key, covering, copyKey));
            }
        }

        return new ValueTask<Row?>(Resolve(null, key, covering, copyKey));
    }

    // The row a lookup returns when range tombstones of this SST may cover the key: the row found, unless a covering
    // tombstone is newer, which then reads as a point tombstone at its seq.
    private static Row? Resolve(Row? found, ReadOnlyMemory<byte> key, ulong covering, bool copyKey)
        => found is { } row && row.Seq >= covering
            ? (copyKey ? WithOwnKey(row) : row)
            : covering == 0 ? null : Covered(key, covering, copyKey);

    private static Row Covered(ReadOnlyMemory<byte> key, ulong covering, bool copyKey)
        => new(copyKey ? key.ToArray() : key, covering, RowKind.Delete, ReadOnlyMemory<byte>.Empty, 0);

    // Continues a lookup at block `first`, which is neither in memory nor cached.
    private async ValueTask<Row?> LookupFromAsync(int first, ReadOnlyMemory<byte> key, ulong maxSeq, ulong covering, bool copyKey, CancellationToken ct)
    {
        for (var i = first; i < _index.Count; i++)
        {
            var block = await ReadBlockAsync(i, cache: true, ct).ConfigureAwait(false);
            var result = BlockSearch.Find(block, key.Span, maxSeq, key, out var row);
            if (result != BlockSearchResult.MayContinue)
            {
                return Resolve(result == BlockSearchResult.Found ? row : null, key, covering, copyKey);
            }
        }

        return Resolve(null, key, covering, copyKey);
    }

    private static Row WithOwnKey(in Row row) => new(row.Key.ToArray(), row.Seq, row.Kind, row.Value, row.CreateTs, row.ExpireTs);

    // Block `index` when it can be had without waiting: decoded from memory, or from the cache.
    private bool TryGetBlockNow(int index, [NotNullWhen(true)] out DataBlock? block)
    {
        if (_store is null)
        {
            block = DecodeBlock(index, _data.Slice((int)_index.BlockOffset(index), _index.BlockLength(index)));
            return true;
        }

        return TryGetCached(index, out block);
    }

    /// <summary>Iterates the rows in <paramref name="range"/>: every version, in stored order.</summary>
    public IRowIterator CreateIterator(KeyRange range, SstReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(range);
        return new SstIterator(this, range, options ?? SstReadOptions.Default);
    }

    /// <summary>
    /// Reads and checks every block: checksums, decoding, row order (compacted: key ascending, seq descending) and that
    /// the rows agree with the properties (count, seq bounds, first and last key). Blocks bypass the cache.
    /// </summary>
    /// <exception cref="CorruptionException">Something does not verify; the message names the part.</exception>
    public async Task VerifyAsync(CancellationToken ct = default)
    {
        var verifier = new SstVerifier(this);
        const int Group = 16;
        for (var first = 0; first < _index.Count; first += Group)
        {
            var count = Math.Min(Group, _index.Count - first);
            var group = await FetchBlocksAsync(first, count, ct).ConfigureAwait(false);
            for (var i = first; i < first + count; i++)
            {
                verifier.Check(DecodeBlock(i, SliceGroup(group, first, i)));
            }
        }

        verifier.Finish();
    }

    /// <summary>Block <paramref name="index"/>: from memory, the cache, or one ranged GET (cached when <paramref name="cache"/>).</summary>
    internal ValueTask<DataBlock> ReadBlockAsync(int index, bool cache, CancellationToken ct)
    {
        if (_store is null)
        {
            return new ValueTask<DataBlock>(DecodeBlock(index, _data.Slice((int)_index.BlockOffset(index), _index.BlockLength(index))));
        }

        if (TryGetCached(index, out var cached))
        {
            return new ValueTask<DataBlock>(cached);
        }

        return FetchBlockAsync(index, cache, ct);
    }

    /// <summary>Looks block <paramref name="index"/> up in the cache.</summary>
    internal bool TryGetCached(int index, [NotNullWhen(true)] out DataBlock? block)
    {
        block = null;
        return _cache is not null && _cache.TryGet(index, out block);
    }

    /// <summary>Whether block <paramref name="index"/> is cached (without touching the cache's statistics).</summary>
    internal bool IsCached(int index) => _cache is not null && _cache.Contains(index);

    /// <summary>Caches a block that was decoded from a larger read.</summary>
    internal void AddToCache(DataBlock block) => _cache?.Add(block.Index, block.Compact());

    /// <summary>Fetches the stored bytes of blocks <c>[first, first + count)</c> in one GET (or slices them from memory).</summary>
    internal async Task<ReadOnlyMemory<byte>> FetchBlocksAsync(int first, int count, CancellationToken ct)
    {
        var offset = _index.BlockOffset(first);
        var length = _index.RangeLength(first, count);
        if (_store is null)
        {
            return _data.Slice((int)offset, (int)length);
        }

        return await ReadExactAsync(_store, Path, offset, length, $"block {first}", ct).ConfigureAwait(false);
    }

    /// <summary>Decodes block <paramref name="index"/> from its stored bytes.</summary>
    internal DataBlock DecodeBlock(int index, ReadOnlyMemory<byte> stored)
        => new(BlockCompression.Read(stored, Path, "block", index), Path, index);

    /// <summary>The stored bytes of block <paramref name="index"/> within a group read starting at block <paramref name="first"/>.</summary>
    internal ReadOnlyMemory<byte> SliceGroup(ReadOnlyMemory<byte> group, int first, int index)
        => group.Slice((int)(_index.BlockOffset(index) - _index.BlockOffset(first)), _index.BlockLength(index));

    private async ValueTask<DataBlock> FetchBlockAsync(int index, bool cache, CancellationToken ct)
    {
        var stored = await FetchBlocksAsync(index, 1, ct).ConfigureAwait(false);
        var block = DecodeBlock(index, stored);
        if (cache)
        {
            AddToCache(block);
        }

        return block;
    }

    private static void CheckSize(long size, string path)
    {
        if (size < SstFormat.FooterLength)
        {
            throw new CorruptionException(path, $"footer: the object is {size} bytes, shorter than the {SstFormat.FooterLength}-byte footer");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadExactAsync(IObjectStore store, string path, long offset, long length, string part, CancellationToken ct)
    {
        var data = await store.GetAsync(path, new ByteRange(offset, length), ct).ConfigureAwait(false);
        if (data.Bytes.Length != length)
        {
            throw new CorruptionException(path, $"{part}: read {data.Bytes.Length} bytes at offset {offset}, expected {length} (the object changed or is truncated)");
        }

        return data.Bytes;
    }

    // The properties block, decoded (it says whether there is a range-tombstone block to fetch).
    private static SstInfo ReadProperties(SstFooter footer, ReadOnlyMemory<byte> metadata, long size, string path)
    {
        var stored = metadata.Slice((int)(footer.PropertiesOffset - footer.MetadataStart), footer.PropertiesLength);
        return SstProperties.Read(BlockCompression.Read(stored, path, "properties").Span, size, path);
    }

    // The range-tombstone block lies right between the data blocks and the filter (or index).
    private static void CheckTombstoneBlock(RangeTombstoneSummary summary, SstFooter footer, string path)
    {
        if (summary.BlockOffset + summary.BlockLength != footer.DataEnd)
        {
            throw new CorruptionException(
                path, $"properties: the range-tombstone block at {summary.BlockOffset}+{summary.BlockLength} does not end where the metadata starts ({footer.DataEnd})");
        }
    }

    private static SstReader Create(
        IObjectStore? store,
        ReadOnlyMemory<byte> data,
        string path,
        SstInfo info,
        SstFooter footer,
        ReadOnlyMemory<byte> metadata,
        ReadOnlyMemory<byte> storedTombstones,
        BlockCache? cache)
    {
        var start = footer.MetadataStart;

        // A store-backed reader copies what it keeps, so the (up to 64 KiB) read it came from is not held for its lifetime.
        ReadOnlyMemory<byte> Stored(long offset, int length) => metadata.Slice((int)(offset - start), length);
        ReadOnlyMemory<byte> Kept(ReadOnlyMemory<byte> payload) => store is null ? payload : payload.ToArray();

        var dataEnd = footer.DataEnd;
        var tombstones = RangeTombstoneList.Empty;
        if (info.RangeTombstones is { } summary)
        {
            dataEnd = summary.BlockOffset;
            tombstones = RangeTombstoneBlock.Decode(BlockCompression.Read(storedTombstones, path, "range tombstones").Span, path);
            if (tombstones.TombstoneCount != summary.Count || info.Kind != SstKind.Compacted
                || !EndsEqual(tombstones.LastEnd, summary.End)
                || KeyCompare.Compare(tombstones.FirstStart.Span, info.FirstKey.Span) < 0 || KeyCompare.Compare(tombstones.LastStart.Span, info.LastKey.Span) > 0
                || tombstones.MinSeq < info.MinSeq || tombstones.MaxSeq > info.MaxSeq)
            {
                throw new CorruptionException(path, $"range tombstones: the block's {tombstones.TombstoneCount} tombstones do not agree with the properties ({summary.Count})");
            }
        }

        var index = IndexBlock.Decode(Kept(BlockCompression.Read(Stored(footer.IndexOffset, footer.IndexLength), path, "index")), dataEnd, info.Kind, path);
        BloomFilter? filter = null;
        if (footer.FilterLength > 0)
        {
            filter = BloomFilter.Decode(Kept(BlockCompression.Read(Stored(footer.FilterOffset, footer.FilterLength), path, "filter")), path);
        }

        if ((info.RowCount == 0) != (index.Count == 0) || (filter is not null) != (info.BloomBitsPerKey > 0)
            || (filter is not null && info.Kind == SstKind.Wal) || info.RowCount < index.Count)
        {
            throw new CorruptionException(
                path,
                $"properties: {info.RowCount} rows, {index.Count} blocks and {(filter is null ? "no filter" : "a filter")} do not agree (kind {info.Kind}, {info.BloomBitsPerKey} bloom bits per key)");
        }

        return new SstReader(store, data, path, cache, info, index, filter, tombstones);
    }

    private static bool EndsEqual(ReadOnlyMemory<byte>? a, ReadOnlyMemory<byte>? b)
        => a is { } x ? b is { } y && x.Span.SequenceEqual(y.Span) : b is null;
}
