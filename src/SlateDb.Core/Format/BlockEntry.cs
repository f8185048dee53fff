using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using SlateDb.Infrastructure;

namespace SlateDb.Format;

/// <summary>
/// The header of one data-block entry (lengths, flags, seq, timestamps) and where its key suffix and value lie, read
/// and checked against the block's bounds and the previous key. Shared by <see cref="BlockCursor"/> (which rebuilds
/// keys) and <see cref="BlockSearch"/> (which compares suffixes without rebuilding them).
/// </summary>
internal struct BlockEntry
{
    /// <summary>How many leading bytes the key shares with the previous entry's key.</summary>
    public int Shared;

    /// <summary>The length of the key suffix stored in the entry.</summary>
    public int Unshared;

    /// <summary>The value's length.</summary>
    public int ValueLength;

    /// <summary>The row kind.</summary>
    public RowKind Kind;

    /// <summary>The row's sequence number.</summary>
    public ulong Seq;

    /// <summary>The row's create timestamp.</summary>
    public long CreateTs;

    /// <summary>The row's expire timestamp, or <see cref="Row.NoExpiry"/>.</summary>
    public long ExpireTs;

    /// <summary>Where the key suffix starts in the entry bytes (the value follows it).</summary>
    public int SuffixStart;

    /// <summary>The full key length.</summary>
    public readonly int KeyLength => Shared + Unshared;

    /// <summary>Where the value starts in the entry bytes.</summary>
    public readonly int ValueStart => SuffixStart + Unshared;

    /// <summary>Where the next entry starts.</summary>
    public readonly int End => SuffixStart + Unshared + ValueLength;

    /// <summary>
    /// Reads an entry's three lengths (shared, unshared, value) at <paramref name="position"/> and moves past them;
    /// false when they are truncated or the entry's fixed part would run past the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadLengths(ReadOnlySpan<byte> entries, ref int position, out uint shared, out uint unshared, out uint valueLength)
    {
        // Fast path: the three lengths fit one byte each (keys and values under 128 bytes) and the fixed part is in bounds.
        var p = position;
        if ((uint)(p + 3 + SstFormat.EntryFixedLength) <= (uint)entries.Length && ((entries[p] | entries[p + 1] | entries[p + 2]) & 0x80) == 0)
        {
            shared = entries[p];
            unshared = entries[p + 1];
            valueLength = entries[p + 2];
            position = p + 3;
            return true;
        }

        unshared = valueLength = 0;
        return Varint.TryRead(entries, ref position, out shared) && Varint.TryRead(entries, ref position, out unshared)
            && Varint.TryRead(entries, ref position, out valueLength) && position + SstFormat.EntryFixedLength <= entries.Length;
    }

    /// <summary>
    /// Reads the entry at <paramref name="start"/> of <paramref name="block"/>'s <paramref name="entries"/>; the previous
    /// key was <paramref name="previousKeyLength"/> bytes and <paramref name="atRestart"/> says whether the entry is a
    /// restart point (which shares nothing).
    /// </summary>
    /// <exception cref="CorruptionException">The entry is truncated or malformed; the message names the block.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Read(DataBlock block, ReadOnlySpan<byte> entries, int start, int previousKeyLength, bool atRestart, out BlockEntry entry)
    {
        var p = start;
        if (!TryReadLengths(entries, ref p, out var shared, out var unshared, out var valueLength))
        {
            throw CorruptEntry(block, start, "has a truncated header");
        }

        var fixedPart = entries.Slice(p, SstFormat.EntryFixedLength);
        var flags = fixedPart[0];
        entry.Seq = BinaryPrimitives.ReadUInt64LittleEndian(fixedPart[1..]);
        entry.CreateTs = BinaryPrimitives.ReadInt64LittleEndian(fixedPart[(1 + sizeof(ulong))..]);
        p += SstFormat.EntryFixedLength;
        entry.ExpireTs = Row.NoExpiry;
        if ((flags & SstFormat.HasExpireFlag) != 0)
        {
            if (p + sizeof(long) > entries.Length)
            {
                throw CorruptEntry(block, start, "is cut off");
            }

            entry.ExpireTs = BinaryPrimitives.ReadInt64LittleEndian(entries.Slice(p, sizeof(long)));
            p += sizeof(long);
        }

        var kind = (RowKind)(flags & SstFormat.KindMask);
        var keyLength = (long)shared + unshared;
        if (shared > (uint)previousKeyLength || (atRestart && shared != 0) || keyLength == 0 || keyLength > Limits.MaxKeyLength
            || (long)p + unshared + valueLength > entries.Length || (flags & SstFormat.UnknownFlags) != 0
            || (kind == RowKind.Delete && valueLength != 0))
        {
            throw Malformed(block, start, shared, previousKeyLength, unshared, valueLength, flags);
        }

        entry.Shared = (int)shared;
        entry.Unshared = (int)unshared;
        entry.ValueLength = (int)valueLength;
        entry.Kind = kind;
        entry.SuffixStart = p;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static CorruptionException CorruptEntry(DataBlock block, int start, string problem) => block.Corrupt($"the entry at offset {start} {problem}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static CorruptionException Malformed(DataBlock block, int start, uint shared, int previousKeyLength, uint unshared, uint valueLength, byte flags)
        => block.Corrupt(
            $"the entry at offset {start} is malformed (shared {shared} of {previousKeyLength}, suffix {unshared}, value {valueLength}, flags 0x{flags:x2})");
}
