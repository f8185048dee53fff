using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using SlateDb.Format;

namespace SlateDb.Memtables;

/// <summary>
/// How a memtable row is stored in its <see cref="ByteArena"/>: a record written once, before the run that names it
/// is published, and never changed.
/// </summary>
/// <remarks>
/// <code>
///   [create ts: 8][expire ts: 8][value length: 4][kind: 1][key][value]
/// </code>
/// The key length and the seq live in the <see cref="RunEntry"/> that points at the record.
/// </remarks>
internal static class RowRecord
{
    /// <summary>The bytes before the key.</summary>
    public const int HeaderBytes = 21;

    /// <summary>Copies <paramref name="row"/> into <paramref name="arena"/> and returns the entry that points at it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RunEntry Write(ByteArena arena, in Row row)
    {
        var key = row.Key.Span;
        var value = row.Value.Span;
        var record = arena.Allocate(HeaderBytes + key.Length + value.Length, out var chunk, out var offset);
        if (chunk >= RunEntry.MaxChunks)
        {
            throw new InvalidOperationException(
                $"The memtable has {RunEntry.MaxChunks} arena chunks, as many as its entries can address; it must be frozen before more rows are added.");
        }

        BinaryPrimitives.WriteInt64LittleEndian(record, row.CreateTs);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], row.ExpireTs);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], value.Length);
        record[20] = (byte)row.Kind;
        key.CopyTo(record[HeaderBytes..]);
        value.CopyTo(record[(HeaderBytes + key.Length)..]);
        return new RunEntry(KeyCompare.KeyPrefix(key), SecondPrefix(key), row.Seq, chunk, offset, key.Length);
    }

    /// <summary>Key bytes 8..16 of <paramref name="key"/>, big-endian, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SecondPrefix(ReadOnlySpan<byte> key) => key.Length > sizeof(ulong) ? KeyCompare.KeyPrefix(key[sizeof(ulong)..]) : 0;

    /// <summary>The key of the row <paramref name="entry"/> points at.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Key(ByteArena arena, in RunEntry entry)
        => arena.Chunk(entry.Chunk).AsSpan(entry.Offset + HeaderBytes, entry.KeyLength);

    /// <summary>The row <paramref name="entry"/> points at; key and value point into the arena.</summary>
    public static Row Read(ByteArena arena, in RunEntry entry)
    {
        var chunk = arena.Chunk(entry.Chunk);
        var offset = entry.Offset;
        var header = chunk.AsSpan(offset, HeaderBytes);
        var createTs = BinaryPrimitives.ReadInt64LittleEndian(header);
        var expireTs = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        var valueLength = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        var kind = (RowKind)header[20];
        var keyLength = entry.KeyLength;
        var keyOffset = offset + HeaderBytes;
        return new Row(
            new ReadOnlyMemory<byte>(chunk, keyOffset, keyLength),
            entry.Seq,
            kind,
            valueLength == 0 ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(chunk, keyOffset + keyLength, valueLength),
            createTs,
            expireTs);
    }
}
