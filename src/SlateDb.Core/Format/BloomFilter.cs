using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace SlateDb.Format;

/// <summary>
/// A bloom filter over an SST's distinct keys. Encoded: <c>u8 probes | bit array</c> (a multiple of 8 bytes; bit b is
/// bit b % 8 of byte b / 8). Each key is hashed once to 64 bits; probe i tests bit <c>reduce(h1 + i·h2)</c> where
/// h1/h2 are the hash's halves and reduce maps 32 bits onto the bit count by multiply-shift. With k = round(0.69·bits
/// per key) probes the false-positive rate is about (1 − e^(−k/bits))^k: 0.8 % at 10 bits per key.
/// </summary>
internal sealed class BloomFilter
{
    private const ulong Prime1 = 0x9E3779B97F4A7C15;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4F;
    private const ulong Prime3 = 0x165667B19E3779F9;

    private readonly ReadOnlyMemory<byte> _bits;
    private readonly uint _bitCount;
    private readonly int _probes;

    private BloomFilter(ReadOnlyMemory<byte> bits, int probes)
    {
        _bits = bits;
        _bitCount = (uint)(bits.Length * 8);
        _probes = probes;
    }

    /// <summary>How many probes a lookup makes.</summary>
    public int Probes => _probes;

    /// <summary>The size of the bit array in bytes.</summary>
    public int SizeBytes => _bits.Length;

    /// <summary>The number of probes for <paramref name="bitsPerKey"/>: round(bits·ln 2), between 1 and 30.</summary>
    public static int ProbesFor(int bitsPerKey) => Math.Clamp((int)Math.Round(bitsPerKey * 0.69), 1, 30);

    /// <summary>The size in bytes of the encoded filter for <paramref name="keyCount"/> keys.</summary>
    public static long EncodedSize(long keyCount, int bitsPerKey) => 1 + (BitCount(keyCount, bitsPerKey) / 8);

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
        var bitCount = BitCount(hashes.Length, bitsPerKey);
        var probes = ProbesFor(bitsPerKey);
        var span = output.GetSpan(1 + (int)(bitCount / 8));
        span[0] = (byte)probes;
        var bits = span.Slice(1, (int)(bitCount / 8));
        bits.Clear();
        foreach (var hash in hashes)
        {
            var h1 = (uint)hash;
            var h2 = (uint)(hash >> 32);
            for (var i = 0; i < probes; i++)
            {
                var bit = Reduce(h1, (uint)bitCount);
                bits[(int)(bit >> 3)] |= (byte)(1 << (int)(bit & 7));
                h1 += h2;
            }
        }

        output.Advance(1 + bits.Length);
    }

    /// <summary>Decodes a filter block's payload.</summary>
    /// <exception cref="CorruptionException">The payload is malformed.</exception>
    public static BloomFilter Decode(ReadOnlyMemory<byte> payload, string objectPath)
    {
        var span = payload.Span;
        if (span.Length < 1 + sizeof(ulong) || (span.Length - 1) % sizeof(ulong) != 0 || span[0] is 0 or > 30
            || (long)(span.Length - 1) * 8 > uint.MaxValue)
        {
            throw new CorruptionException(objectPath, $"filter: {span.Length} bytes with {(span.IsEmpty ? 0 : span[0])} probes is not a valid bloom filter");
        }

        return new BloomFilter(payload[1..], span[0]);
    }

    /// <summary>False only when no key with this hash was added.</summary>
    public bool MightContain(ulong hash)
    {
        var bits = _bits.Span;
        var h1 = (uint)hash;
        var h2 = (uint)(hash >> 32);
        for (var i = 0; i < _probes; i++)
        {
            var bit = Reduce(h1, _bitCount);
            if ((bits[(int)(bit >> 3)] & (1 << (int)(bit & 7))) == 0)
            {
                return false;
            }

            h1 += h2;
        }

        return true;
    }

    /// <summary>False only when <paramref name="key"/> was not added.</summary>
    public bool MightContain(ReadOnlySpan<byte> key) => MightContain(Hash(key));

    private static long BitCount(long keyCount, int bitsPerKey)
    {
        var bits = Math.Max(64, keyCount * bitsPerKey);
        return Math.Min((bits + 63) / 64 * 64, (long)SstFormat.MaxDecodedBlockLength * 8 / 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Reduce(uint hash, uint range) => (uint)(((ulong)hash * range) >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong h, ulong v)
    {
        h ^= BitOperations.RotateLeft(v * Prime2, 31) * Prime1;
        return (BitOperations.RotateLeft(h, 29) * Prime1) + Prime3;
    }
}
