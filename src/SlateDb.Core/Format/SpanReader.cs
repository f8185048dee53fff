using System.Buffers.Binary;

namespace SlateDb.Format;

/// <summary>
/// Reads the fields of a metadata structure (footer, index, properties, filter) from a span, checking every length
/// against the bytes left and raising <see cref="CorruptionException"/> naming the object and the part on any overrun.
/// </summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _source;
    private readonly string _objectPath;
    private readonly string _part;
    private int _position;

    public SpanReader(ReadOnlySpan<byte> source, string objectPath, string part)
    {
        _source = source;
        _objectPath = objectPath;
        _part = part;
        _position = 0;
    }

    /// <summary>How many bytes are left.</summary>
    public readonly int Remaining => _source.Length - _position;

    /// <summary>The offset of the next byte to read.</summary>
    public readonly int Position => _position;

    public byte ReadByte() => Take(sizeof(byte))[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(sizeof(ushort)));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(sizeof(uint)));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(sizeof(ulong)));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(sizeof(long)));

    public uint ReadVarint()
    {
        if (!Varint.TryRead(_source, ref _position, out var value))
        {
            throw Corrupt("a length runs past the end or overflows");
        }

        return value;
    }

    /// <summary>Reads a varint length, then that many bytes.</summary>
    public ReadOnlySpan<byte> ReadLengthPrefixed()
    {
        var length = ReadVarint();
        if (length > (uint)Remaining)
        {
            throw Corrupt($"a field of {length} bytes runs past the end ({Remaining} bytes left)");
        }

        return Take((int)length);
    }

    public ReadOnlySpan<byte> ReadBytes(int length) => Take(length);

    /// <summary>Throws unless every byte was consumed.</summary>
    public readonly void ExpectEnd()
    {
        if (Remaining != 0)
        {
            throw Corrupt($"{Remaining} unexpected trailing bytes");
        }
    }

    /// <summary>A corruption error naming the object and this part.</summary>
    public readonly CorruptionException Corrupt(string detail) => new(_objectPath, $"{_part}: {detail}");

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || length > Remaining)
        {
            throw Corrupt($"needs {length} more bytes at offset {_position} but only {Remaining} are left");
        }

        var span = _source.Slice(_position, length);
        _position += length;
        return span;
    }
}
