using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using SlateDb.Infrastructure;

namespace SlateDb.Manifest;

/// <summary>
/// The framing every versioned protobuf object shares: <c>magic (4 bytes) | u16 LE format version | protobuf body |
/// u32 LE CRC-32C</c>, the checksum covering every byte before it. Decoding verifies length, magic, version, checksum,
/// protobuf and the type's structural rules, and reports the first failure as a <see cref="CorruptionException"/>
/// naming the object and the part.
/// </summary>
/// <typeparam name="T">The protobuf message.</typeparam>
internal abstract class FramedProtobufCodec<T> : IObjectCodec<T>
    where T : class, IMessage<T>
{
    /// <summary>Bytes before the protobuf body: magic and version.</summary>
    public const int HeaderLength = 6;

    /// <summary>Bytes after the protobuf body: the checksum.</summary>
    public const int TrailerLength = 4;

    /// <summary>The shortest valid object (an empty protobuf body).</summary>
    public const int MinLength = HeaderLength + TrailerLength;

    private readonly byte[] _magic;
    private readonly ushort _version;
    private readonly string _kind;
    private readonly MessageParser<T> _parser;

    /// <param name="magic">Four ASCII bytes that open every object of this kind.</param>
    /// <param name="version">The format version this build writes and reads.</param>
    /// <param name="kind">What the object is, for messages ("manifest").</param>
    /// <param name="parser">The protobuf parser of <typeparamref name="T"/>.</param>
    protected FramedProtobufCodec(string magic, ushort version, string kind, MessageParser<T> parser)
    {
        _magic = System.Text.Encoding.ASCII.GetBytes(magic);
        _version = version;
        _kind = kind;
        _parser = parser;
    }

    /// <summary>The first violation of the rules every stored object of this kind obeys, or null.</summary>
    protected abstract string? StructuralProblem(T value);

    /// <inheritdoc />
    /// <exception cref="SlateDbException">
    /// (<see cref="SlateDbErrorKind.Internal"/>) the value breaks a structural rule; nothing is encoded.
    /// </exception>
    public byte[] Encode(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (StructuralProblem(value) is { } problem)
        {
            throw new SlateDbException(SlateDbErrorKind.Internal, $"Refusing to write an invalid {_kind}: {problem}.");
        }

        var bodyLength = value.CalculateSize();
        var bytes = new byte[HeaderLength + bodyLength + TrailerLength];
        _magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(_magic.Length), _version);
        value.WriteTo(bytes.AsSpan(HeaderLength, bodyLength));
        var checksum = Crc32C.Compute(bytes.AsSpan(0, HeaderLength + bodyLength));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(HeaderLength + bodyLength), checksum);
        return bytes;
    }

    /// <inheritdoc />
    public T Decode(string objectPath, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < MinLength)
        {
            throw Corrupt(objectPath, $"the object is {bytes.Length} bytes; a {_kind} has at least {MinLength} (header and checksum)");
        }

        if (!bytes[.._magic.Length].SequenceEqual(_magic))
        {
            throw Corrupt(
                objectPath,
                $"bad magic: expected '{System.Text.Encoding.ASCII.GetString(_magic)}' ({Convert.ToHexString(_magic)}), found {Convert.ToHexString(bytes[.._magic.Length])}");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[_magic.Length..]);
        if (version != _version)
        {
            throw Corrupt(objectPath, $"unknown {_kind} format version {version} (this build reads version {_version})");
        }

        var covered = bytes[..^TrailerLength];
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^TrailerLength..]);
        var computed = Crc32C.Compute(covered);
        if (stored != computed)
        {
            throw Corrupt(
                objectPath,
                string.Create(CultureInfo.InvariantCulture, $"checksum mismatch: stored 0x{stored:X8}, computed 0x{computed:X8} over {covered.Length} bytes"));
        }

        T value;
        try
        {
            value = _parser.ParseFrom(covered[HeaderLength..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CorruptionException(objectPath, $"the protobuf body ({covered.Length - HeaderLength} bytes) does not parse: {e.Message}", e);
        }

        if (StructuralProblem(value) is { } problem)
        {
            throw Corrupt(objectPath, problem);
        }

        return value;
    }

    private static CorruptionException Corrupt(string objectPath, string detail) => new(objectPath, detail);
}
