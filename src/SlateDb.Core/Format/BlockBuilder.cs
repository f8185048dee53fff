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
/// <remarks>
/// The block is encoded straight into a <see cref="ByteBuffer"/>, from <see cref="Start"/> on: the builder's own, or
/// the SST writer's output buffer, so a finished block is sealed in place instead of being copied.
/// </remarks>
internal sealed class BlockBuilder
{
    private readonly ByteBuffer _buffer;
    private readonly bool _ownsBuffer;
    private int[] _restarts = new int[64];
    private int _restartCount;
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private int _count;
    private int _start;

    /// <summary>Creates a builder encoding into a buffer of its own.</summary>
    public BlockBuilder(int initialCapacity)
    {
        _buffer = new ByteBuffer(Math.Max(initialCapacity, 256));
        _ownsBuffer = true;
    }

    /// <summary>Creates a builder appending each block to <paramref name="output"/> (see <see cref="Reset"/>).</summary>
    public BlockBuilder(ByteBuffer output)
    {
        _buffer = output;
        _start = output.Length;
    }

    /// <summary>Whether the block holds no entry yet.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>How many entries the block holds.</summary>
    public int Count => _count;

    /// <summary>Where the open block starts in the buffer.</summary>
    public int Start => _start;

    /// <summary>The encoded size of the block if it were finished now.</summary>
    public int EncodedSize => _buffer.Length - _start + (sizeof(uint) * (_restartCount + 1));

    /// <summary>The key of the last entry added.</summary>
    public ReadOnlySpan<byte> LastKey => _lastKey.AsSpan(0, _lastKeyLength);

    /// <summary>
    /// Appends a row unless the block is not empty and the row would take it past <paramref name="targetSize"/> bytes
    /// (an empty block takes any row). The caller has validated the row and keeps the block's ordering rules.
    /// </summary>
    public bool TryAdd(in Row row, int targetSize) => TryAdd(row.Key.Span, row.Value.Span, row, targetSize, -1);

    /// <summary>
    /// As <see cref="TryAdd(in Row, int)"/>, with the row's key and value spans already taken (<paramref name="row"/>
    /// supplies the other fields) and, unless negative, <paramref name="knownShared"/> the length of the prefix the key
    /// shares with <see cref="LastKey"/>.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, in Row row, int targetSize, int knownShared)
    {
        var restart = (_count & (SstFormat.RestartInterval - 1)) == 0;
        var shared = restart ? 0 : knownShared >= 0 ? knownShared : key.CommonPrefixLength(LastKey);
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
            AddRestart();
        }

        var span = _buffer.GetSpan(length);
        var p = Varint.Write(span, (uint)shared);
        p += Varint.Write(span[p..], (uint)unshared);
        p += Varint.Write(span[p..], (uint)value.Length);
        var fixedPart = span.Slice(p, SstFormat.EntryFixedLength + (hasExpiry ? sizeof(long) : 0));
        fixedPart[0] = (byte)((byte)row.Kind | (hasExpiry ? SstFormat.HasExpireFlag : 0));
        BinaryPrimitives.WriteUInt64LittleEndian(fixedPart[1..], row.Seq);
        BinaryPrimitives.WriteInt64LittleEndian(fixedPart[(1 + sizeof(ulong))..], row.CreateTs);
        p += SstFormat.EntryFixedLength;
        if (hasExpiry)
        {
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[SstFormat.EntryFixedLength..], row.ExpireTs);
            p += sizeof(long);
        }

        var suffix = key[shared..];
        suffix.CopyTo(span[p..]);
        p += unshared;
        value.CopyTo(span[p..]);
        _buffer.Advance(p + value.Length);

        if (_lastKey.Length < key.Length)
        {
            Array.Resize(ref _lastKey, Math.Max(key.Length, _lastKey.Length * 2));
        }

        suffix.CopyTo(_lastKey.AsSpan(shared));
        _lastKeyLength = key.Length;
        _count++;
        return true;
    }

    /// <summary>Appends the restart array and returns the encoded block (valid until <see cref="Reset"/>).</summary>
    public Span<byte> Finish()
    {
        var trailerLength = sizeof(uint) * (_restartCount + 1);
        var trailer = _buffer.GetSpan(trailerLength)[..trailerLength];
        for (var i = 0; i < _restartCount; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(trailer[(i * sizeof(uint))..], (uint)_restarts[i]);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(trailer[(_restartCount * sizeof(uint))..], (uint)_restartCount);
        _buffer.Advance(trailerLength);
        return _buffer.WrittenSpan[_start..];
    }

    /// <summary>
    /// Empties the block for reuse (the last key is kept for the caller until the next add). A builder with its own
    /// buffer forgets the old block; one writing into an output buffer starts the next block at its current end.
    /// </summary>
    public void Reset()
    {
        if (_ownsBuffer)
        {
            _buffer.Reset();
        }

        _start = _buffer.Length;
        _restartCount = 0;
        _count = 0;
    }

    private void AddRestart()
    {
        if (_restartCount == _restarts.Length)
        {
            Array.Resize(ref _restarts, _restarts.Length * 2);
        }

        _restarts[_restartCount++] = _buffer.Length - _start;
    }
}
