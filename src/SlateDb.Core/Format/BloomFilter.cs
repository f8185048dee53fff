using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace SlateDb.Format;

/// <summary>
/// A cache-blocked bloom filter over an SST's distinct keys. Encoded: <c>u8 probes | 64-byte blocks</c>. Each key is
/// hashed once to 64 bits h; the high half of h picks one 512-bit block (multiply-shift onto the block count), and probe
/// i tests the bit numbered by the top 9 bits of x_i, where x_0 = h and x_(i+1) = x_i · 0x9E3779B97F4A7C15 +
/// 0xC2B2AE3D27D4EB4F (mod 2^64); bit j of a block is bit j % 8 of its byte j / 8. So a lookup or an insert touches one cache line. With
/// k = round(0.69 · bits per key) probes the false-positive rate is close to the classic (1 − e^(−k/bits))^k, a little
/// above it because blocks fill unevenly: about 0.9 % at 10 bits per key.
/// </summary>
internal sealed class BloomFilter
{
    /// <summary>The bytes of one block (one cache line).</summary>
    public const int BlockBytes = 64;

    private const int BlockBits = BlockBytes * 8;
    private const int ProbeShift = 64 - 9;   // the top 9 bits of the probe state pick one of a block's 512 bits
    private const ulong Prime1 = 0x9E3779B97F4A7C15;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4F;
    private const ulong Prime3 = 0x165667B19E3779F9;

    private readonly ReadOnlyMemory<byte> _bits;
    private readonly uint _blockCount;
    private readonly int _probes;

    private BloomFilter(ReadOnlyMemory<byte> bits, int probes)
    {
        _bits = bits;
        _blockCount = (uint)(bits.Length / BlockBytes);
        _probes = probes;
    }

    /// <summary>How many probes a lookup makes.</summary>
    public int Probes => _probes;

    /// <summary>The size of the bit array in bytes.</summary>
    public int SizeBytes => _bits.Length;

    /// <summary>The number of probes for <paramref name="bitsPerKey"/>: round(bits·ln 2), between 1 and 30.</summary>
    public static int ProbesFor(int bitsPerKey) => Math.Clamp((int)Math.Round(bitsPerKey * 0.69), 1, 30);

    /// <summary>The size in bytes of the encoded filter for <paramref name="keyCount"/> keys.</summary>
    public static long EncodedSize(long keyCount, int bitsPerKey) => 1 + (BlockCount(keyCount, bitsPerKey) * BlockBytes);

    /// <summary>The 64-bit hash of a key the filter is built from and probed with.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key)
    {
        var h = Prime3 ^ ((ulong)key.Length * Prime1);
        while (key.Length >= sizeof(ulong))
        {
            h = Round(h, BinaryPrimitives.ReadUInt64LittleEndian(key));
            key = key[sizeof(ulong)..];
        }

        if (!key.IsEmpty)
        {
            ulong tail = 0;
            for (var i = key.Length - 1; i >= 0; i--)
            {
                tail = (tail << 8) | key[i];
            }

            h = Round(h, tail);
        }

        h ^= h >> 33;
        h *= Prime2;
        h ^= h >> 29;
        h *= Prime3;
        h ^= h >> 32;
        return h;
    }

    /// <summary>Writes the encoded filter over <paramref name="hashes"/> (one per distinct key) to <paramref name="output"/>.</summary>
    public static void Write(ByteBuffer output, ReadOnlySpan<ulong> hashes, int bitsPerKey)
    {
        var blockCount = BlockCount(hashes.Length, bitsPerKey);
        var probes = ProbesFor(bitsPerKey);
        var span = output.GetSpan(1 + (int)(blockCount * BlockBytes));
        span[0] = (byte)probes;
        var bits = span.Slice(1, (int)(blockCount * BlockBytes));
        bits.Clear();
        foreach (var hash in hashes)
        {
            var block = bits.Slice((int)Reduce((uint)(hash >> 32), (uint)blockCount) * BlockBytes, BlockBytes);
            var x = hash;
            for (var i = 0; i < probes; i++)
            {
                x = NextProbe(x);
                var bit = (uint)(x >> ProbeShift);
                block[(int)(bit >> 3)] |= (byte)(1 << (int)(bit & 7));
            }
        }

        output.Advance(1 + bits.Length);
    }

    /// <summary>Decodes a filter block's payload.</summary>
    /// <exception cref="CorruptionException">The payload is malformed.</exception>
    public static BloomFilter Decode(ReadOnlyMemory<byte> payload, string objectPath)
    {
        var span = payload.Span;
        if (span.Length < 1 + BlockBytes || (span.Length - 1) % BlockBytes != 0 || span[0] is 0 or > 30)
        {
            throw new CorruptionException(objectPath, $"filter: {span.Length} bytes with {(span.IsEmpty ? 0 : span[0])} probes is not a valid bloom filter");
        }

        return new BloomFilter(payload[1..], span[0]);
    }

    /// <summary>False only when no key with this hash was added.</summary>
    public bool MightContain(ulong hash)
    {
        var block = _bits.Span.Slice((int)Reduce((uint)(hash >> 32), _blockCount) * BlockBytes, BlockBytes);
        var x = hash;
        for (var i = 0; i < _probes; i++)
        {
            x = NextProbe(x);
            var bit = (uint)(x >> ProbeShift);
            if ((block[(int)(bit >> 3)] & (1 << (int)(bit & 7))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>False only when <paramref name="key"/> was not added.</summary>
    public bool MightContain(ReadOnlySpan<byte> key) => MightContain(Hash(key));

    private static long BlockCount(long keyCount, int bitsPerKey)
    {
        var bits = Math.Max(BlockBits, keyCount * bitsPerKey);
        return Math.Min((bits + BlockBits - 1) / BlockBits, SstFormat.MaxDecodedBlockLength / 2 / BlockBytes);
    }

    // One step of a 64-bit linear congruential sequence; its top bits are well mixed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NextProbe(ulong x) => (x * Prime1) + Prime2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Reduce(uint hash, uint range) => (uint)(((ulong)hash * range) >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong h, ulong v)
    {
        h ^= BitOperations.RotateLeft(v * Prime2, 31) * Prime1;
        return (BitOperations.RotateLeft(h, 29) * Prime1) + Prime3;
    }
}
