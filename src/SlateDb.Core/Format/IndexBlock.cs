using System.Buffers.Binary;
using SlateDb.Infrastructure;

namespace SlateDb.Format;

/// <summary>
/// The index of an SST's data blocks. Encoded: <c>u32 count | (varint stored_length | varint key_length | key)*</c>.
/// Blocks are contiguous from offset 0, so offsets are running sums of the stored lengths. For a compacted SST the key
/// of block i is a separator S with <c>last key of block i ≤ S</c> and <c>S &lt; first key of block i+1</c>, except that
/// S equals both when one key's versions continue into the next block; the last block's key is its last key. So the
/// first block whose key is ≥ k is the first block that can hold k. WAL SSTs store empty keys (they are only iterated).
/// </summary>
internal sealed class IndexBlock
{
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly int[] _keyStarts;
    private readonly int[] _keyLengths;
    private readonly long[] _offsets;

    // The search aid: every key starts with the first _commonLength bytes of key 0 (keys are sorted, so the first and
    // last share it with all between), and _prefixes[i] is the next 8 bytes of key i as a big-endian number (zero-padded).
    // Prefixes order as the keys do, except that equal prefixes leave the order to the full keys.
    private readonly int _commonLength;
    private readonly ulong[] _prefixes;

    private IndexBlock(ReadOnlyMemory<byte> payload, int[] keyStarts, int[] keyLengths, long[] offsets)
    {
        _payload = payload;
        _keyStarts = keyStarts;
        _keyLengths = keyLengths;
        _offsets = offsets;
        _prefixes = new ulong[keyStarts.Length];
        if (keyStarts.Length > 0)
        {
            _commonLength = Key(0).CommonPrefixLength(Key(keyStarts.Length - 1));
            for (var i = 0; i < _prefixes.Length; i++)
            {
                _prefixes[i] = KeyCompare.KeyPrefix(Key(i)[_commonLength..]);
            }
        }
    }

    /// <summary>How many data blocks the SST has.</summary>
    public int Count => _keyStarts.Length;

    /// <summary>The bytes the decoded index holds (for cache accounting).</summary>
    public long MemorySize => _payload.Length + (_keyStarts.Length * 24L) + 64;

    /// <summary>Where block <paramref name="i"/> starts in the object.</summary>
    public long BlockOffset(int i) => _offsets[i];

    /// <summary>The stored length (with trailer) of block <paramref name="i"/>.</summary>
    public int BlockLength(int i) => (int)(_offsets[i + 1] - _offsets[i]);

    /// <summary>The stored length of blocks <c>[first, first + count)</c>.</summary>
    public long RangeLength(int first, int count) => _offsets[first + count] - _offsets[first];

    /// <summary>The index key of block <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> Key(int i) => _payload.Span.Slice(_keyStarts[i], _keyLengths[i]);

    /// <summary>The first block whose index key is ≥ <paramref name="key"/> (the first that can hold it), or <see cref="Count"/>.</summary>
    public int FindFirstBlock(ReadOnlySpan<byte> key)
    {
        if (Count == 0)
        {
            return 0;
        }

        // Outside the prefix every key shares, the key sorts before or after all of them.
        var common = Key(0)[.._commonLength];
        if (!key.StartsWith(common))
        {
            return KeyCompare.Compare(key, common) < 0 ? 0 : Count;
        }

        // Narrow by the 8-byte prefixes (one array), then decide among equal prefixes by the full keys.
        var target = KeyCompare.KeyPrefix(key[_commonLength..]);
        var prefixes = _prefixes;
        int lo = 0, hi = prefixes.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (prefixes[mid] < target)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        if (lo == prefixes.Length || prefixes[lo] != target)
        {
            return lo;
        }

        hi = lo + 1;
        var end = prefixes.Length;
        while (hi < end)
        {
            var mid = (hi + end) >>> 1;
            if (prefixes[mid] == target)
            {
                hi = mid + 1;
            }
            else
            {
                end = mid;
            }
        }

        var span = _payload.Span;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (KeyCompare.Compare(span.Slice(_keyStarts[mid], _keyLengths[mid]), key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Decodes an index whose blocks must exactly fill <c>[0, dataEnd)</c>.</summary>
    /// <exception cref="CorruptionException">The index is malformed.</exception>
    public static IndexBlock Decode(ReadOnlyMemory<byte> payload, long dataEnd, SstKind kind, string objectPath)
    {
        var reader = new SpanReader(payload.Span, objectPath, "index");
        var count = reader.ReadUInt32();
        if (count > (uint)(reader.Remaining / 2))
        {
            throw reader.Corrupt($"{count} entries do not fit in {payload.Length} bytes");
        }

        var keyStarts = new int[count];
        var keyLengths = new int[count];
        var offsets = new long[count + 1];
        var previousKey = ReadOnlySpan<byte>.Empty;
        for (var i = 0; i < count; i++)
        {
            var length = reader.ReadVarint();
            if (length < SstFormat.BlockTrailerLength + (2 * sizeof(uint)) || length > SstFormat.MaxStoredBlockLength || offsets[i] + length > dataEnd)
            {
                throw reader.Corrupt($"block {i} of {length} bytes at offset {offsets[i]} does not fit the {dataEnd}-byte data region");
            }

            offsets[i + 1] = offsets[i] + length;
            var keyLength = reader.ReadVarint();
            if (keyLength > (uint)reader.Remaining)
            {
                throw reader.Corrupt($"the key of block {i} ({keyLength} bytes) runs past the end");
            }

            keyStarts[i] = reader.Position;
            keyLengths[i] = (int)keyLength;
            var key = reader.ReadBytes((int)keyLength);
            var valid = kind == SstKind.Wal
                ? key.IsEmpty
                : !key.IsEmpty && key.Length <= Limits.MaxKeyLength && key.SequenceCompareTo(previousKey) >= 0;
            if (!valid)
            {
                throw reader.Corrupt($"the key of block {i} is out of order or malformed");
            }

            previousKey = key;
        }

        reader.ExpectEnd();
        if (offsets[count] != dataEnd)
        {
            throw reader.Corrupt($"the blocks cover {offsets[count]} bytes, but the data region is {dataEnd} bytes");
        }

        return new IndexBlock(payload, keyStarts, keyLengths, offsets);
    }

    /// <summary>
    /// The length of the shortest separator S with <paramref name="last"/> ≤ S &lt; <paramref name="next"/> (or S =
    /// <paramref name="last"/> when the two are equal) written into <paramref name="destination"/>, which must hold
    /// <paramref name="last"/>'s length. Requires <paramref name="last"/> ≤ <paramref name="next"/>.
    /// </summary>
    public static int Separator(ReadOnlySpan<byte> last, ReadOnlySpan<byte> next, Span<byte> destination)
    {
        var d = last.CommonPrefixLength(next);
        if (d < last.Length && d < next.Length && (last[d] + 1 < next[d] || d + 1 < next.Length))
        {
            last[..d].CopyTo(destination);
            destination[d] = (byte)(last[d] + 1);
            return d + 1;
        }

        last.CopyTo(destination);
        return last.Length;
    }

    /// <summary>Collects index entries as the writer finishes data blocks.</summary>
    internal sealed class Builder
    {
        private readonly ByteBuffer _buffer = new(1024);
        private int _count;

        public Builder()
        {
            _buffer.Advance(sizeof(uint));
        }

        /// <summary>The encoded size so far.</summary>
        public int EncodedSize => _buffer.Length;

        /// <summary>Adds the entry of the next block.</summary>
        public void Add(int storedLength, ReadOnlySpan<byte> key)
        {
            var span = _buffer.GetSpan((2 * Varint.MaxLength) + key.Length);
            var p = Varint.Write(span, (uint)storedLength);
            p += Varint.Write(span[p..], (uint)key.Length);
            key.CopyTo(span[p..]);
            _buffer.Advance(p + key.Length);
            _count++;
        }

        /// <summary>The encoded index (valid until the builder changes).</summary>
        public ReadOnlySpan<byte> Finish()
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.WrittenSpan, (uint)_count);
            return _buffer.WrittenSpan;
        }
    }
}
