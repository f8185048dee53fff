using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SlateDb.Memtables;

/// <summary>
/// One row of a memtable run: the first 16 key bytes as two numbers, the seq, and where the row's record lives in
/// the arena (chunk, offset) with its key length. 32 bytes, no references.
/// </summary>
/// <remarks>
/// Runs are arrays of entries sorted by (key ascending, seq descending). The prefixes and the key length decide
/// almost every comparison of keys up to 16 bytes, and of longer keys that differ in their first 16 bytes, without
/// touching the arena, so sorting and merging runs streams through the entry arrays alone.
/// <code>
///   location: [0][chunk: 19 bits][key length: 16 bits][offset: 28 bits]
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct RunEntry
{
    /// <summary>The largest offset an entry can address (chunks are at most this large).</summary>
    public const int MaxOffset = (1 << OffsetBits) - 1;

    /// <summary>The number of arena chunks an entry can address.</summary>
    public const int MaxChunks = 1 << ChunkBits;

    private const int OffsetBits = 28;
    private const int KeyLengthBits = 16;
    private const int ChunkBits = 19;

    /// <summary>Key bytes 0..8, big-endian, zero-padded.</summary>
    public readonly ulong Prefix;

    /// <summary>Key bytes 8..16, big-endian, zero-padded.</summary>
    public readonly ulong Prefix2;

    /// <summary>The sequence number.</summary>
    public readonly ulong Seq;

    /// <summary>Chunk, key length and offset, packed.</summary>
    public readonly long Location;

    public RunEntry(ulong prefix, ulong prefix2, ulong seq, int chunk, int offset, int keyLength)
    {
        Prefix = prefix;
        Prefix2 = prefix2;
        Seq = seq;
        Location = ((long)chunk << (OffsetBits + KeyLengthBits)) | ((long)keyLength << OffsetBits) | (uint)offset;
    }

    /// <summary>The arena chunk of the row's record.</summary>
    public int Chunk
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)(Location >>> (OffsetBits + KeyLengthBits));
    }

    /// <summary>The offset of the row's record in its chunk.</summary>
    public int Offset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)(Location & MaxOffset);
    }

    /// <summary>The key length.</summary>
    public int KeyLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)(Location >>> OffsetBits) & 0xFFFF;
    }
}
