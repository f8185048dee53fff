using System.Buffers.Binary;
using SlateDb.Infrastructure;
using SlateDb.Read;

namespace SlateDb.Format;

/// <summary>
/// Encodes and decodes the range-tombstone block of a compacted SST. Layout (little-endian):
/// <c>u32 count | (varint start_length | start | u8 has_end | [varint end_length | end] | u64 seq)*</c>, the entries
/// being the (fragment, seq) pairs of a <see cref="RangeTombstoneList"/> in key order, seqs descending. Stored like the
/// filter: uncompressed, with the codec byte and CRC32C trailer every block has.
/// </summary>
internal static class RangeTombstoneBlock
{
    private const string Part = "range tombstones";

    /// <summary>Appends the encoded payload for <paramref name="tombstones"/> to <paramref name="output"/>.</summary>
    public static void Write(ByteBuffer output, RangeTombstoneList tombstones)
    {
        var count = output.GetSpan(sizeof(uint));
        BinaryPrimitives.WriteUInt32LittleEndian(count, (uint)tombstones.TombstoneCount);
        output.Advance(sizeof(uint));
        foreach (var t in tombstones.Tombstones())
        {
            var start = t.Start.Span;
            var end = t.End is { } e ? e.Span : [];
            var span = output.GetSpan((2 * Varint.MaxLength) + start.Length + end.Length + 1 + sizeof(ulong));
            var p = Varint.Write(span, (uint)start.Length);
            start.CopyTo(span[p..]);
            p += start.Length;
            span[p++] = t.End is null ? (byte)0 : (byte)1;
            if (t.End is not null)
            {
                p += Varint.Write(span[p..], (uint)end.Length);
                end.CopyTo(span[p..]);
                p += end.Length;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(span[p..], t.Seq);
            output.Advance(p + sizeof(ulong));
        }
    }

    /// <summary>Decodes a payload written by <see cref="Write"/>; the bounds are copied out of it.</summary>
    /// <exception cref="CorruptionException">The block is malformed: lengths, flags, an empty or inverted range, a zero seq.</exception>
    public static RangeTombstoneList Decode(ReadOnlySpan<byte> payload, string objectPath)
    {
        var reader = new SpanReader(payload, objectPath, Part);
        var count = reader.ReadUInt32();
        if (count == 0 || count > (uint)payload.Length)
        {
            throw reader.Corrupt($"a block of {payload.Length} bytes cannot hold {count} tombstones");
        }

        var tombstones = new List<RangeTombstone>((int)count);
        for (var i = 0; i < count; i++)
        {
            var start = reader.ReadLengthPrefixed();
            var hasEnd = reader.ReadByte();
            var end = hasEnd == 1 ? reader.ReadLengthPrefixed() : [];
            var seq = reader.ReadUInt64();
            if (start.IsEmpty || start.Length > Limits.MaxKeyLength || hasEnd > 1 || seq == 0
                || (hasEnd == 1 && (end.Length > Limits.MaxKeyLength || KeyCompare.Compare(start, end) >= 0)))
            {
                throw reader.Corrupt(
                    $"tombstone {i} is malformed (start {SstFormat.FormatKey(start)}, has_end {hasEnd}, end {SstFormat.FormatKey(end)}, seq {seq})");
            }

            tombstones.Add(new RangeTombstone(start.ToArray(), hasEnd == 1 ? end.ToArray() : RangeTombstone.NoEnd, seq));
        }

        reader.ExpectEnd();
        return RangeTombstoneList.Build(tombstones);
    }
}
