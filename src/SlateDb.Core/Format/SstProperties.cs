using System.Buffers.Binary;
using SlateDb.Infrastructure;

namespace SlateDb.Format;

/// <summary>
/// Encodes and decodes the properties block. Layout (little-endian):
/// <c>u8 kind | u8 codec | u16 bloom_bits_per_key | u64 row_count | u64 min_seq | u64 max_seq | i64 creation_time_ms |
/// varint first_key_length | first_key | varint last_key_length | last_key | [range_tombstones]</c>, where the optional
/// tail <c>range_tombstones = u64 block_offset | u32 block_length | u32 count | u8 has_end | [varint end_length | end]</c>
/// locates the range-tombstone block (absent: the SST has none). First and last key are the smallest and largest key
/// of a row or tombstone start (for a WAL SST too); both are empty when the SST has neither, and so are the seqs then.
/// </summary>
internal static class SstProperties
{
    private const int FixedLength = 2 + sizeof(ushort) + (4 * sizeof(ulong));
    private const int TombstoneFixedLength = sizeof(ulong) + sizeof(uint) + sizeof(uint) + 1;

    /// <summary>Appends the encoded properties of <paramref name="info"/> to <paramref name="output"/>.</summary>
    public static void Write(ByteBuffer output, SstInfo info)
    {
        var first = info.FirstKey.Span;
        var last = info.LastKey.Span;
        var tombstones = info.RangeTombstones;
        var endLength = tombstones?.End?.Length ?? 0;
        var span = output.GetSpan(FixedLength + (3 * Varint.MaxLength) + first.Length + last.Length + TombstoneFixedLength + endLength);
        span[0] = (byte)info.Kind;
        span[1] = (byte)info.Compression;
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], (ushort)info.BloomBitsPerKey);
        BinaryPrimitives.WriteInt64LittleEndian(span[4..], info.RowCount);
        BinaryPrimitives.WriteUInt64LittleEndian(span[12..], info.MinSeq);
        BinaryPrimitives.WriteUInt64LittleEndian(span[20..], info.MaxSeq);
        BinaryPrimitives.WriteInt64LittleEndian(span[28..], info.CreationTimeMs);
        var p = FixedLength;
        p += Varint.Write(span[p..], (uint)first.Length);
        first.CopyTo(span[p..]);
        p += first.Length;
        p += Varint.Write(span[p..], (uint)last.Length);
        last.CopyTo(span[p..]);
        p += last.Length;
        if (tombstones is not null)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[p..], (ulong)tombstones.BlockOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(p + 8)..], (uint)tombstones.BlockLength);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(p + 12)..], (uint)tombstones.Count);
            span[p + 16] = tombstones.End is null ? (byte)0 : (byte)1;
            p += TombstoneFixedLength;
            if (tombstones.End is { } end)
            {
                p += Varint.Write(span[p..], (uint)end.Length);
                end.Span.CopyTo(span[p..]);
                p += end.Length;
            }
        }

        output.Advance(p);
    }

    /// <summary>Decodes the properties of an object of <paramref name="objectSize"/> bytes.</summary>
    /// <exception cref="CorruptionException">The block is malformed or inconsistent.</exception>
    public static SstInfo Read(ReadOnlySpan<byte> payload, long objectSize, string objectPath)
    {
        var reader = new SpanReader(payload, objectPath, "properties");
        var kind = reader.ReadByte();
        var codec = reader.ReadByte();
        var bloomBits = reader.ReadUInt16();
        var rowCount = reader.ReadInt64();
        var minSeq = reader.ReadUInt64();
        var maxSeq = reader.ReadUInt64();
        var creationTime = reader.ReadInt64();
        var first = reader.ReadLengthPrefixed();
        var last = reader.ReadLengthPrefixed();
        var tombstones = reader.Remaining > 0 ? ReadTombstones(ref reader, objectSize) : null;
        reader.ExpectEnd();
        var empty = rowCount == 0 && tombstones is null;
        var valid = kind <= (byte)SstKind.Wal && codec <= (byte)CompressionCodec.Zstd && rowCount >= 0
            && (empty
                ? first.IsEmpty && last.IsEmpty && minSeq == 0 && maxSeq == 0
                : !first.IsEmpty && !last.IsEmpty && first.Length <= Limits.MaxKeyLength && last.Length <= Limits.MaxKeyLength
                  && first.SequenceCompareTo(last) <= 0 && minSeq <= maxSeq);
        if (!valid)
        {
            throw reader.Corrupt($"inconsistent values (kind {kind}, codec {codec}, {rowCount} rows, seq {minSeq}..{maxSeq})");
        }

        return new SstInfo
        {
            FirstKey = first.ToArray(),
            LastKey = last.ToArray(),
            RowCount = rowCount,
            MinSeq = minSeq,
            MaxSeq = maxSeq,
            Size = objectSize,
            FormatVersion = SstFormat.CurrentVersion,
            Kind = (SstKind)kind,
            Compression = (CompressionCodec)codec,
            CreationTimeMs = creationTime,
            BloomBitsPerKey = bloomBits,
            RangeTombstones = tombstones,
        };
    }

    private static RangeTombstoneSummary ReadTombstones(ref SpanReader reader, long objectSize)
    {
        var offset = reader.ReadUInt64();
        var length = reader.ReadUInt32();
        var count = reader.ReadUInt32();
        var hasEnd = reader.ReadByte();
        var end = hasEnd == 1 ? reader.ReadLengthPrefixed() : [];
        if (count == 0 || count > int.MaxValue || hasEnd > 1 || length < SstFormat.BlockTrailerLength || length > int.MaxValue
            || offset > (ulong)objectSize || offset + length > (ulong)objectSize || (hasEnd == 1 && (end.IsEmpty || end.Length > Limits.MaxKeyLength)))
        {
            throw reader.Corrupt($"inconsistent range tombstones ({count} at {offset}+{length}, has_end {hasEnd}, end of {end.Length} bytes)");
        }

        return new RangeTombstoneSummary((int)count, hasEnd == 1 ? end.ToArray() : SlateDb.Read.RangeTombstone.NoEnd, (long)offset, (int)length);
    }
}
