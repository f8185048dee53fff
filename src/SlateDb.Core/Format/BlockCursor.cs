using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using SlateDb.Infrastructure;

namespace SlateDb.Format;

/// <summary>
/// Walks the entries of one <see cref="DataBlock"/>, rebuilding each key from its shared prefix into a reused buffer.
/// <see cref="Current"/>'s key points into that buffer and its value into the block, so a row is valid until the next
/// move; nothing is allocated per entry. Every length read from the block is checked against the block's bounds and
/// the previous key; a violation raises <see cref="CorruptionException"/> naming the block.
/// </summary>
internal sealed class BlockCursor
{
    private DataBlock? _block;
    private byte[] _key = new byte[64];
    private int _keyLength;
    private int _offset;
    private int _nextRestart;
    private int _nextRestartOffset;
    private Row _current;
    private bool _pending;

    /// <summary>The block the cursor walks, or null before <see cref="Reset"/>.</summary>
    public DataBlock? Block => _block;

    /// <summary>The row the cursor is on.</summary>
    public Row Current => _current;

    /// <summary>The key of <see cref="Current"/>.</summary>
    public ReadOnlySpan<byte> CurrentKey => _key.AsSpan(0, _keyLength);

    /// <summary>Positions the cursor before the first entry of <paramref name="block"/>.</summary>
    public void Reset(DataBlock block)
    {
        _block = block;
        PositionAtRestart(0);
    }

    /// <summary>Moves to the next entry; false at the end of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MoveNext()
    {
        if (_pending)
        {
            _pending = false;
            return true;
        }

        if (_block is null || _offset >= _block.EntriesLength)
        {
            return false;
        }

        Decode(_block);
        return true;
    }

    /// <summary>
    /// Positions the cursor so that the next <see cref="MoveNext"/> returns the first entry whose key is greater than or
    /// equal to <paramref name="target"/>; false (and exhausted) when every key in the block is smaller.
    /// </summary>
    public bool Seek(ReadOnlySpan<byte> target)
    {
        var block = _block ?? throw new InvalidOperationException("The cursor has no block.");
        PositionAtRestart(block.SeekRestart(target));
        while (_offset < block.EntriesLength)
        {
            Decode(block);
            if (KeyCompare.Compare(CurrentKey, target) >= 0)
            {
                _pending = true;
                return true;
            }
        }

        return false;
    }

    private void PositionAtRestart(int restart)
    {
        _pending = false;
        _keyLength = 0;
        _nextRestart = restart;
        _offset = _block!.RestartOffset(restart);
        _nextRestartOffset = _offset;
    }

    // The same checks as BlockEntry.Read, with only the length parsing shared: scans decode every row through this
    // method, and reading the whole header into a BlockEntry costs this loop about a quarter more time.
    private void Decode(DataBlock block)
    {
        var entries = block.Entries;
        var start = _offset;
        var p = start;
        var atRestart = p == _nextRestartOffset;
        if (p > _nextRestartOffset)
        {
            throw block.Corrupt($"restart point {_nextRestart} at offset {_nextRestartOffset} falls inside an entry");
        }

        if (!BlockEntry.TryReadLengths(entries, ref p, out var shared, out var unshared, out var valueLength))
        {
            throw block.Corrupt($"the entry at offset {start} has a truncated header");
        }

        var fixedPart = entries.Slice(p, SstFormat.EntryFixedLength);
        var flags = fixedPart[0];
        var seq = BinaryPrimitives.ReadUInt64LittleEndian(fixedPart[1..]);
        var createTs = BinaryPrimitives.ReadInt64LittleEndian(fixedPart[(1 + sizeof(ulong))..]);
        p += SstFormat.EntryFixedLength;
        var expireTs = Row.NoExpiry;
        if ((flags & SstFormat.HasExpireFlag) != 0)
        {
            if (p + sizeof(long) > entries.Length)
            {
                throw block.Corrupt($"the entry at offset {start} is cut off");
            }

            expireTs = BinaryPrimitives.ReadInt64LittleEndian(entries.Slice(p, sizeof(long)));
            p += sizeof(long);
        }

        var kind = (RowKind)(flags & SstFormat.KindMask);
        var keyLength = (long)shared + unshared;
        if (shared > (uint)_keyLength || (atRestart && shared != 0) || keyLength == 0 || keyLength > Limits.MaxKeyLength
            || (long)p + unshared + valueLength > entries.Length || (flags & SstFormat.UnknownFlags) != 0
            || (kind == RowKind.Delete && valueLength != 0))
        {
            throw block.Corrupt(
                $"the entry at offset {start} is malformed (shared {shared} of {_keyLength}, suffix {unshared}, value {valueLength}, flags 0x{flags:x2})");
        }

        if (_key.Length < keyLength)
        {
            Array.Resize(ref _key, (int)Math.Max(keyLength, Math.Min(Limits.MaxKeyLength, _key.Length * 2L)));
        }

        entries.Slice(p, (int)unshared).CopyTo(_key.AsSpan((int)shared));
        _keyLength = (int)keyLength;
        p += (int)unshared;
        _current = new Row(new ReadOnlyMemory<byte>(_key, 0, _keyLength), seq, kind, block.Slice(p, (int)valueLength), createTs, expireTs);
        _offset = p + (int)valueLength;
        if (atRestart)
        {
            _nextRestart++;
            _nextRestartOffset = _nextRestart < block.RestartCount ? block.RestartOffset(_nextRestart) : int.MaxValue;
        }
    }
}
