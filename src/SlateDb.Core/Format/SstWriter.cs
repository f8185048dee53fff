using System.Runtime.CompilerServices;
using SlateDb.Infrastructure;
using SlateDb.Read;
using ZstdSharp;

namespace SlateDb.Format;

/// <summary>
/// Builds one SST in memory, block by block. Rows are encoded straight into the output buffer as the open data block;
/// when the next row would push it past <see cref="SstWriterOptions.BlockSize"/> the block is sealed in place
/// (compressed when that helps, checksummed), so each row's bytes are written once and the writer holds only the
/// encoded SST. <see cref="Finish"/> appends the
/// filter, index, properties and footer and hands the output buffer to the caller without copying it.
/// The layout is described in <c>Format/README.md</c>.
/// </summary>
/// <remarks>
/// Compacted SSTs take rows in (key ascending, seq descending) order; WAL SSTs take them in any key order (the caller
/// adds them in seq order). The bloom filter covers distinct keys and is written only for compacted SSTs with at least
/// <see cref="SstWriterOptions.MinFilterKeys"/> of them. Not thread-safe.
/// </remarks>
internal sealed class SstWriter : IDisposable
{
    private readonly SstWriterOptions _options;
    private readonly ByteBuffer _output;
    private readonly BlockBuilder _block;
    private readonly IndexBlock.Builder _index = new();
    private readonly Compressor? _compressor;
    private readonly bool _buildFilter;
    private ulong[] _hashes = [];
    private int _hashCount;
    private byte[] _separator = new byte[64];
    private byte[] _scratch = [];
    private byte[] _firstKey = new byte[64];
    private byte[] _lastKey = new byte[64];
    private int _firstKeyLength;
    private int _lastKeyLength;
    private ulong _firstKeyPrefix;
    private ulong _lastKeyPrefix;
    private int _pendingBlockLength = -1;
    private long _rowCount;
    private ulong _minSeq = ulong.MaxValue;
    private ulong _maxSeq;
    private ulong _lastSeq;
    private bool _finished;
    private RangeTombstoneList _rangeTombstones = RangeTombstoneList.Empty;

    /// <summary>Creates a writer.</summary>
    /// <param name="options">How to lay out the SST.</param>
    /// <param name="output">
    /// A buffer to encode into, emptied first (a caller writing many SSTs one after another reuses one); the finished
    /// SST's bytes live in it until the caller empties or reuses it. Null: the writer allocates one.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SstWriter(SstWriterOptions options, ByteBuffer? output = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, 1, nameof(options.BlockSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BlockSize, 16 * 1024 * 1024, nameof(options.BlockSize));
        ArgumentOutOfRangeException.ThrowIfNegative(options.BloomBitsPerKey, nameof(options.BloomBitsPerKey));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BloomBitsPerKey, 64, nameof(options.BloomBitsPerKey));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MinFilterKeys, nameof(options.MinFilterKeys));
        ArgumentOutOfRangeException.ThrowIfNegative(options.ExpectedSizeBytes, nameof(options.ExpectedSizeBytes));
        if (!Enum.IsDefined(options.Compression) || !Enum.IsDefined(options.Kind))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Unknown compression {options.Compression} or kind {options.Kind}.");
        }

        _options = options;
        var capacity = options.ExpectedSizeBytes > 0 ? options.ExpectedSizeBytes + 1024 : Math.Max(16 * 1024, options.BlockSize * 4);
        if (output is null)
        {
            _output = new ByteBuffer(capacity);
        }
        else
        {
            _output = output;
            _output.Reset();
            _output.GetSpan(capacity);
        }

        _block = new BlockBuilder(_output);
        _compressor = options.Compression == CompressionCodec.Zstd ? new Compressor(options.ZstdLevel) : null;
        _buildFilter = options.Kind == SstKind.Compacted && options.BloomBitsPerKey > 0;
    }

    /// <summary>How many rows were added.</summary>
    public long RowCount => _rowCount;

    /// <summary>The bytes the SST would take if finished now: blocks written, the open block, and estimates for the rest.</summary>
    public long EstimatedSize
        => _block.Start + (_block.IsEmpty ? 0 : _block.EncodedSize + SstFormat.BlockTrailerLength)
           + _index.EncodedSize + (_pendingBlockLength >= 0 ? _block.LastKey.Length + 10 : 0) + (_block.IsEmpty ? 0 : _block.LastKey.Length + 10)
           + (_buildFilter && _hashCount >= _options.MinFilterKeys && _hashCount > 0 ? BloomFilter.EncodedSize(_hashCount, _options.BloomBitsPerKey) + SstFormat.BlockTrailerLength : 0)
           + 64 + _firstKeyLength + Math.Max(_lastKeyLength, _block.LastKey.Length) + SstFormat.FooterLength;

    /// <summary>Adds a row; the writer copies what it needs, so the row's memory may be reused afterwards.</summary>
    /// <exception cref="ArgumentException">
    /// The key or value breaks a limit, a tombstone carries a value, or (compacted) the row is not after the previous
    /// one in (key ascending, seq descending) order. The message names the key.
    /// </exception>
    public void Add(in Row row)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var key = row.Key.Span;
        var value = row.Value.Span;
        Limits.ValidateKey(key, nameof(row));
        Limits.ValidateValue(value, nameof(row));
        if ((row.Kind == RowKind.RangeDelete && _options.Kind != SstKind.Wal) || (row.Kind == RowKind.Delete && !value.IsEmpty))
        {
            ThrowInvalidRow(row);
        }

        var newKey = _rowCount == 0;
        var shared = -1;
        if (!newKey && _options.Kind == SstKind.Compacted)
        {
            // One pass finds both the order and the prefix the block shares with the previous key.
            var last = _block.LastKey;
            shared = key.CommonPrefixLength(last);
            var order = shared < key.Length && shared < last.Length ? key[shared] - last[shared] : key.Length - last.Length;
            if (order < 0 || (order == 0 && row.Seq >= _lastSeq))
            {
                ThrowOutOfOrder(key, row.Seq, nameof(row));
            }

            newKey = order != 0;
        }

        if (!_block.TryAdd(key, value, row, _options.BlockSize, shared))
        {
            FlushBlock();
            if (_pendingBlockLength >= 0)
            {
                AddPendingIndexEntry(key);
            }

            _block.TryAdd(key, value, row, _options.BlockSize, shared);
        }

        TrackStats(row, key, newKey);
    }

    /// <summary>
    /// Adds range tombstones to a compacted SST (any number of calls, before <see cref="Finish"/>); they go into the
    /// range-tombstone block, and the SST's key range and seq bounds grow to include them.
    /// </summary>
    /// <exception cref="InvalidOperationException">The SST is a WAL SST (its range deletes are rows).</exception>
    public void AddRangeTombstones(RangeTombstoneList tombstones)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ArgumentNullException.ThrowIfNull(tombstones);
        if (_options.Kind != SstKind.Compacted)
        {
            throw new InvalidOperationException("Range tombstones go into compacted SSTs; a WAL SST stores range deletes as rows.");
        }

        _rangeTombstones = _rangeTombstones.IsEmpty ? tombstones : RangeTombstoneList.Combine([_rangeTombstones, tombstones]);
    }

    /// <summary>Whether range tombstones were added.</summary>
    public bool HasRangeTombstones => !_rangeTombstones.IsEmpty;

    /// <summary>Encodes the rest of the SST and returns it; the writer is unusable afterwards.</summary>
    public SstBuildResult Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (!_block.IsEmpty)
        {
            FlushBlock();
        }

        if (_pendingBlockLength >= 0)
        {
            _index.Add(_pendingBlockLength, _block.LastKey);
            _pendingBlockLength = -1;
        }

        if (_options.Kind == SstKind.Compacted && _rowCount > 0)
        {
            SetKey(ref _lastKey, ref _lastKeyLength, _block.LastKey);
        }

        var tombstones = WriteRangeTombstones();

        var writeFilter = _buildFilter && _hashCount > 0 && _hashCount >= _options.MinFilterKeys;
        long filterOffset = 0;
        var filterLength = 0;
        if (writeFilter)
        {
            filterOffset = _output.Length;
            BloomFilter.Write(_output, _hashes.AsSpan(0, _hashCount), _options.BloomBitsPerKey);
            filterLength = BlockCompression.Seal(_output, (int)filterOffset);
        }

        long indexOffset = _output.Length;
        _output.Write(_index.Finish());
        var indexLength = BlockCompression.SealInPlace(_output, (int)indexOffset, _compressor, ref _scratch);
        var info = new SstInfo
        {
            FirstKey = _firstKey.AsSpan(0, _firstKeyLength).ToArray(),
            LastKey = _lastKey.AsSpan(0, _lastKeyLength).ToArray(),
            RowCount = _rowCount,
            MinSeq = _rowCount == 0 ? _rangeTombstones.MinSeq : Math.Min(_minSeq, _rangeTombstones.IsEmpty ? ulong.MaxValue : _rangeTombstones.MinSeq),
            MaxSeq = Math.Max(_maxSeq, _rangeTombstones.MaxSeq),
            Size = 0,
            FormatVersion = SstFormat.CurrentVersion,
            Kind = _options.Kind,
            Compression = _options.Compression,
            CreationTimeMs = _options.CreationTimeMs,
            BloomBitsPerKey = writeFilter ? _options.BloomBitsPerKey : 0,
            RangeTombstones = tombstones,
        };
        long propertiesOffset = _output.Length;
        SstProperties.Write(_output, info);
        var propertiesLength = BlockCompression.Seal(_output, (int)propertiesOffset);
        new SstFooter(filterOffset, filterLength, indexOffset, indexLength, propertiesOffset, propertiesLength).Write(_output);

        _finished = true;
        _hashes = [];
        _scratch = [];
        _compressor?.Dispose();
        return new SstBuildResult(_output.WrittenMemory, info with { Size = _output.Length });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _finished = true;
        _compressor?.Dispose();
    }

    // Writes the range-tombstone block right after the data blocks and widens the key range to the tombstone starts.
    private RangeTombstoneSummary? WriteRangeTombstones()
    {
        if (_rangeTombstones.IsEmpty)
        {
            return null;
        }

        var first = _rangeTombstones.FirstStart.Span;
        var last = _rangeTombstones.LastStart.Span;
        if (_rowCount == 0 || first.SequenceCompareTo(_firstKey.AsSpan(0, _firstKeyLength)) < 0)
        {
            SetKey(ref _firstKey, ref _firstKeyLength, first);
        }

        if (_rowCount == 0 || last.SequenceCompareTo(_lastKey.AsSpan(0, _lastKeyLength)) > 0)
        {
            SetKey(ref _lastKey, ref _lastKeyLength, last);
        }

        var offset = _output.Length;
        RangeTombstoneBlock.Write(_output, _rangeTombstones);
        var length = BlockCompression.Seal(_output, offset);
        return new RangeTombstoneSummary(_rangeTombstones.TombstoneCount, _rangeTombstones.LastEnd, offset, length);
    }

    private void FlushBlock()
    {
        var start = _block.Start;
        _block.Finish();
        var length = BlockCompression.SealInPlace(_output, start, _compressor, ref _scratch);
        _block.Reset();
        if (_options.Kind == SstKind.Wal)
        {
            _index.Add(length, []);
        }
        else
        {
            _pendingBlockLength = length;
        }
    }

    // The block before the current one is sealed; its index key separates its last key from the next block's first.
    private void AddPendingIndexEntry(ReadOnlySpan<byte> nextKey)
    {
        var last = _block.LastKey;
        if (_separator.Length < last.Length)
        {
            _separator = new byte[Math.Max(last.Length, _separator.Length * 2)];
        }

        var length = IndexBlock.Separator(last, nextKey, _separator);
        _index.Add(_pendingBlockLength, _separator.AsSpan(0, length));
        _pendingBlockLength = -1;
    }

    private void TrackStats(in Row row, ReadOnlySpan<byte> key, bool newKey)
    {
        if (_rowCount == 0)
        {
            SetKey(ref _firstKey, ref _firstKeyLength, key);
            SetKey(ref _lastKey, ref _lastKeyLength, key);
            _firstKeyPrefix = _lastKeyPrefix = KeyCompare.KeyPrefix(key);
        }
        else if (_options.Kind == SstKind.Wal)
        {
            // Most keys fall strictly between the first and last key within their first 8 bytes; only the others
            // need a full comparison.
            var prefix = KeyCompare.KeyPrefix(key);
            if (prefix <= _firstKeyPrefix && key.SequenceCompareTo(_firstKey.AsSpan(0, _firstKeyLength)) < 0)
            {
                SetKey(ref _firstKey, ref _firstKeyLength, key);
                _firstKeyPrefix = prefix;
            }
            else if (prefix >= _lastKeyPrefix && key.SequenceCompareTo(_lastKey.AsSpan(0, _lastKeyLength)) > 0)
            {
                SetKey(ref _lastKey, ref _lastKeyLength, key);
                _lastKeyPrefix = prefix;
            }
        }

        if (newKey && _buildFilter)
        {
            if (_hashCount == _hashes.Length)
            {
                Array.Resize(ref _hashes, Math.Max(1024, _hashes.Length * 2));
            }

            _hashes[_hashCount++] = BloomFilter.Hash(key);
        }

        _rowCount++;
        _lastSeq = row.Seq;
        _minSeq = Math.Min(_minSeq, row.Seq);
        _maxSeq = Math.Max(_maxSeq, row.Seq);
    }

    // Copies key into a reused buffer (rows with ascending keys would otherwise allocate one array each).
    private static void SetKey(ref byte[] buffer, ref int length, ReadOnlySpan<byte> key)
    {
        if (buffer.Length < key.Length)
        {
            buffer = new byte[Math.Max(key.Length, buffer.Length * 2)];
        }

        key.CopyTo(buffer);
        length = key.Length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowOutOfOrder(ReadOnlySpan<byte> key, ulong seq, string paramName)
        => throw new ArgumentException(
            $"Rows must be added in (key ascending, seq descending) order: key {SstFormat.FormatKey(key)} seq {seq} follows key {SstFormat.FormatKey(_block.LastKey)} seq {_lastSeq}.",
            paramName);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidRow(in Row row)
        => throw new ArgumentException(
            $"Row {SstFormat.FormatKey(row.Key.Span)}@{row.Seq}: kind {row.Kind} with a {row.Value.Length}-byte value is not a valid row (tombstones carry no value).",
            nameof(row));
}
