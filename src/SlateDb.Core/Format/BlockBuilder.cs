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

    /// <summary>
    /// Appends a row unless the block is not empty and the row would take it past <paramref name="targetSize"/> bytes
    /// (an empty block takes any row). The caller has validated the row and keeps the block's ordering rules.
    /// </summary>
    public bool TryAdd(in Row row, int targetSize)
    {
        var key = row.Key.Span;
        var value = row.Value.Span;
        var restart = _count % SstFormat.RestartInterval == 0;
        var shared = restart ? 0 : key.CommonPrefixLength(LastKey);
        var unshared = key.Length - shared;
        var hasExpiry = row.HasExpiry;
        var length = Varint.SizeOf((uint)shared) + Varint.SizeOf((uint)unshared) + Varint.SizeOf((uint)value.Length)
                     + SstFormat.EntryFixedLength + (hasExpiry ? sizeof(long) : 0) + unshared + value.Length;
        if (_count > 0 && EncodedSize + (long)length + (restart ? sizeof(uint) : 0) > targetSize)
        {
            return false;
        }

        if (restart)
        {
            _restarts.Add(_buffer.Length);
        }

        var span = _buffer.GetSpan(length);
        var p = Varint.Write(span, (uint)shared);
        p += Varint.Write(span[p..], (uint)unshared);
        p += Varint.Write(span[p..], (uint)value.Length);
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
        return true;
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
}
