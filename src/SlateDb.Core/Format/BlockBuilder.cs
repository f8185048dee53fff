using System.Buffers.Binary;

namespace SlateDb.Format;

/// <summary>
/// Encodes rows into one data block. Layout (all little-endian):
/// <code>
/// entry*  u32 restart_offset[n]  u32 n
/// entry = varint shared | varint unshared | varint value_length | u8 flags | u64 seq | i64 create_ts
///         | [i64 expire_ts] | key suffix (unshared bytes) | value
/// </code>
/// <c>shared</c> counts the bytes the key shares with the previous entry's key; it is 0 at restart points, which
/// fall every <see cref="SstFormat.RestartInterval"/> entries (entry 0 is always one) so a reader can binary-search
/// the restarts and then scan at most that many entries. Flags: bits 0-1 the <see cref="RowKind"/>, bit 2 set when
/// an expire timestamp is present; the other bits are zero.
/// </summary>
internal sealed class BlockBuilder
{
    private readonly ByteBuffer _buffer;
    private readonly List<int> _restarts = [];
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private int _count;

    public BlockBuilder(int initialCapacity)
    {
        _buffer = new ByteBuffer(Math.Max(initialCapacity, 256));
    }

    /// <summary>Whether the block holds no entry yet.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>How many entries the block holds.</summary>
    public int Count => _count;

    /// <summary>The encoded size of the block if it were finished now.</summary>
    public int EncodedSize => _buffer.Length + (sizeof(uint) * (_restarts.Count + 1));

    /// <summary>The key of the last entry added.</summary>
    public ReadOnlySpan<byte> LastKey => _lastKey.AsSpan(0, _lastKeyLength);

    /// <summary>The encoded size of the block after adding <paramref name="row"/>.</summary>
    public long SizeAfterAdding(in Row row)
    {
        var restart = _count % SstFormat.RestartInterval == 0;
        var key = row.Key.Span;
        var shared = restart ? 0 : key.CommonPrefixLength(LastKey);
        return EncodedSize + (long)EntryLength(shared, key.Length - shared, row) + (restart ? sizeof(uint) : 0);
    }

    /// <summary>Appends a row. The caller has validated it and keeps the block's ordering rules.</summary>
    public void Add(in Row row)
    {
        var key = row.Key.Span;
        var value = row.Value.Span;
        var restart = _count % SstFormat.RestartInterval == 0;
        var shared = restart ? 0 : key.CommonPrefixLength(LastKey);
        var unshared = key.Length - shared;
        if (restart)
        {
            _restarts.Add(_buffer.Length);
        }

        var length = EntryLength(shared, unshared, row);
        var span = _buffer.GetSpan(length);
        var p = Varint.Write(span, (uint)shared);
        p += Varint.Write(span[p..], (uint)unshared);
        p += Varint.Write(span[p..], (uint)value.Length);
        var hasExpiry = row.HasExpiry;
        span[p++] = (byte)((byte)row.Kind | (hasExpiry ? SstFormat.HasExpireFlag : 0));
        BinaryPrimitives.WriteUInt64LittleEndian(span[p..], row.Seq);
        BinaryPrimitives.WriteInt64LittleEndian(span[(p + sizeof(ulong))..], row.CreateTs);
        p += sizeof(ulong) + sizeof(long);
        if (hasExpiry)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[p..], row.ExpireTs);
            p += sizeof(long);
        }

        key[shared..].CopyTo(span[p..]);
        p += unshared;
        value.CopyTo(span[p..]);
        _buffer.Advance(p + value.Length);

        if (_lastKey.Length < key.Length)
        {
            Array.Resize(ref _lastKey, Math.Max(key.Length, _lastKey.Length * 2));
        }

        key[shared..].CopyTo(_lastKey.AsSpan(shared));
        _lastKeyLength = key.Length;
        _count++;
    }

    /// <summary>Appends the restart array and returns the encoded block (valid until <see cref="Reset"/>).</summary>
    public ReadOnlySpan<byte> Finish()
    {
        var trailer = _buffer.GetSpan(sizeof(uint) * (_restarts.Count + 1));
        for (var i = 0; i < _restarts.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(trailer[(i * sizeof(uint))..], (uint)_restarts[i]);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(trailer[(_restarts.Count * sizeof(uint))..], (uint)_restarts.Count);
        _buffer.Advance(sizeof(uint) * (_restarts.Count + 1));
        return _buffer.WrittenSpan;
    }

    /// <summary>Empties the block for reuse (the last key is kept for the caller until the next add).</summary>
    public void Reset()
    {
        _buffer.Reset();
        _restarts.Clear();
        _count = 0;
    }

    private static int EntryLength(int shared, int unshared, in Row row)
        => Varint.SizeOf((uint)shared) + Varint.SizeOf((uint)unshared) + Varint.SizeOf((uint)row.Value.Length)
           + SstFormat.EntryFixedLength + (row.HasExpiry ? sizeof(long) : 0) + unshared + row.Value.Length;
}
