using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SlateDb.Format;

/// <summary>
/// A decoded (verified, decompressed) data block whose restart array has been checked: what the block cache holds
/// and cursors read. Immutable; its bytes are never reused, so rows may keep slices of them.
/// </summary>
internal sealed class DataBlock
{
    private readonly byte[] _array;
    private readonly int _start;

    /// <summary>Checks the restart array of <paramref name="data"/> (the decoded block bytes).</summary>
    /// <exception cref="CorruptionException">The trailer is inconsistent.</exception>
    public DataBlock(ReadOnlyMemory<byte> data, string objectPath, int index)
    {
        ObjectPath = objectPath;
        Index = index;
        if (!MemoryMarshal.TryGetArray(data, out var segment))
        {
            segment = data.ToArray();
        }

        _array = segment.Array!;
        _start = segment.Offset;
        Length = segment.Count;

        var span = Span;
        if (span.Length < 2 * sizeof(uint))
        {
            throw Corrupt($"{span.Length} bytes cannot hold a restart array");
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(span[^sizeof(uint)..]);
        if (count == 0 || count > (uint)((span.Length / sizeof(uint)) - 1))
        {
            throw Corrupt($"{count} restart points do not fit in {span.Length} bytes");
        }

        RestartCount = (int)count;
        EntriesLength = span.Length - (sizeof(uint) * (RestartCount + 1));
        var previous = -1L;
        for (var i = 0; i < RestartCount; i++)
        {
            var offset = RestartOffset(i);
            if (offset <= previous || offset >= EntriesLength || (i == 0 && offset != 0))
            {
                throw Corrupt($"restart point {i} at offset {offset} is out of order or outside the {EntriesLength} entry bytes");
            }

            previous = offset;
        }
    }

    /// <summary>The SST the block belongs to (for error messages).</summary>
    public string ObjectPath { get; }

    /// <summary>The block's index in its SST.</summary>
    public int Index { get; }

    /// <summary>The decoded length in bytes.</summary>
    public int Length { get; }

    /// <summary>How many bytes the entries take (the restart array follows them).</summary>
    public int EntriesLength { get; }

    /// <summary>How many restart points the block has (at least one).</summary>
    public int RestartCount { get; }

    /// <summary>The memory the block holds, for cache accounting: its bytes plus a fixed overhead.</summary>
    public long MemorySize => _array.Length + 96;

    /// <summary>The decoded bytes.</summary>
    public ReadOnlySpan<byte> Span => new(_array, _start, Length);

    /// <summary>The entry bytes.</summary>
    public ReadOnlySpan<byte> Entries => new(_array, _start, EntriesLength);

    /// <summary>A slice of the entry bytes as memory (for row values).</summary>
    public ReadOnlyMemory<byte> Slice(int offset, int length) => new(_array, _start + offset, length);

    /// <summary>The offset of restart point <paramref name="i"/> within the entries.</summary>
    public int RestartOffset(int i)
        => (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(Span[(EntriesLength + (i * sizeof(uint)))..]));

    /// <summary>The full key stored at restart point <paramref name="restart"/> (restart entries share nothing with their predecessor).</summary>
    /// <exception cref="CorruptionException">The restart entry does not hold a whole key.</exception>
    public ReadOnlySpan<byte> RestartKey(int restart)
    {
        var entries = Entries;
        var p = RestartOffset(restart);
        if (!Varint.TryRead(entries, ref p, out var shared) || !Varint.TryRead(entries, ref p, out var unshared)
            || !Varint.TryRead(entries, ref p, out _))
        {
            throw Corrupt($"restart point {restart} has a truncated header");
        }

        var flags = (uint)p < (uint)entries.Length ? entries[p] : 0;
        var keyStart = (long)p + SstFormat.EntryFixedLength + ((flags & SstFormat.HasExpireFlag) != 0 ? sizeof(long) : 0);
        if (shared != 0 || unshared == 0 || keyStart + unshared > entries.Length)
        {
            throw Corrupt($"restart point {restart} does not hold a whole key");
        }

        return entries.Slice((int)keyStart, (int)unshared);
    }

    /// <summary>
    /// The last restart point whose key is less than <paramref name="key"/>, or 0 when there is none: the first entry
    /// whose key is ≥ <paramref name="key"/> is at or after it (and, when no restart key is ≥, within its run).
    /// </summary>
    public int SeekRestart(ReadOnlySpan<byte> key)
    {
        var lo = 0;
        var hi = RestartCount - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >>> 1;
            if (KeyCompare.Compare(RestartKey(mid), key) < 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>A copy whose bytes are exactly this block's (so a cached block does not pin a larger buffer).</summary>
    public DataBlock Compact() => _array.Length <= Length + 64 ? this : new DataBlock(Span.ToArray(), ObjectPath, Index);

    /// <summary>A corruption error naming the object and this block.</summary>
    public CorruptionException Corrupt(string detail) => new(ObjectPath, $"block {Index}: {detail}");
}
