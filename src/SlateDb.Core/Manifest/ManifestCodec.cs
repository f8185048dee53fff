using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using SlateDb.Infrastructure;
using SlateDb.Manifest.Proto;

namespace SlateDb.Manifest;

/// <summary>
/// The manifest object format: <c>magic "SDBM" (4 bytes) | u16 LE format version | protobuf
/// <see cref="ManifestData"/> | u32 LE CRC-32C</c>, the checksum covering every byte before it.
/// Decoding verifies length, magic, version, checksum, protobuf and the structural rules of
/// <see cref="FindStructuralProblem"/>, and reports the first failure as a <see cref="CorruptionException"/>
/// naming the object and the part. See docs/rfcs/0001-manifest.md.
/// </summary>
internal sealed class ManifestCodec : IObjectCodec<ManifestData>
{
    /// <summary>The format version this build writes and reads.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>Bytes before the protobuf body: magic and version.</summary>
    public const int HeaderLength = 6;

    /// <summary>Bytes after the protobuf body: the checksum.</summary>
    public const int TrailerLength = 4;

    /// <summary>The shortest valid object (an empty protobuf body).</summary>
    public const int MinLength = HeaderLength + TrailerLength;

    private static ReadOnlySpan<byte> Magic => "SDBM"u8;

    private ManifestCodec()
    {
    }

    /// <summary>The codec (stateless).</summary>
    public static ManifestCodec Instance { get; } = new();

    /// <inheritdoc />
    /// <exception cref="SlateDbException">
    /// (<see cref="SlateDbErrorKind.Internal"/>) the manifest breaks a structural rule; nothing is encoded.
    /// </exception>
    public byte[] Encode(ManifestData value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (FindStructuralProblem(value) is { } problem)
        {
            throw new SlateDbException(SlateDbErrorKind.Internal, $"Refusing to write an invalid manifest: {problem}.");
        }

        var bodyLength = value.CalculateSize();
        var bytes = new byte[HeaderLength + bodyLength + TrailerLength];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(Magic.Length), FormatVersion);
        value.WriteTo(bytes.AsSpan(HeaderLength, bodyLength));
        var checksum = Crc32C.Compute(bytes.AsSpan(0, HeaderLength + bodyLength));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(HeaderLength + bodyLength), checksum);
        return bytes;
    }

    /// <inheritdoc />
    public ManifestData Decode(string objectPath, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < MinLength)
        {
            throw Corrupt(objectPath, $"the object is {bytes.Length} bytes; a manifest has at least {MinLength} (header and checksum)");
        }

        if (!bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw Corrupt(objectPath, $"bad magic: expected 'SDBM' (53-44-42-4D), found {Convert.ToHexString(bytes[..Magic.Length])}");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[Magic.Length..]);
        if (version != FormatVersion)
        {
            throw Corrupt(objectPath, $"unknown manifest format version {version} (this build reads version {FormatVersion})");
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

        ManifestData manifest;
        try
        {
            manifest = ManifestData.Parser.ParseFrom(covered[HeaderLength..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CorruptionException(objectPath, $"the protobuf body ({covered.Length - HeaderLength} bytes) does not parse: {e.Message}", e);
        }

        if (FindStructuralProblem(manifest) is { } problem)
        {
            throw Corrupt(objectPath, problem);
        }

        return manifest;
    }

    /// <summary>
    /// The first violation of the rules every stored manifest obeys (each SST handle and external SST has an
    /// id, each checkpoint has an id, each external database has a path and a source checkpoint), or null.
    /// </summary>
    public static string? FindStructuralProblem(ManifestData manifest)
    {
        for (var i = 0; i < manifest.L0.Count; i++)
        {
            if (manifest.L0[i].Id is null)
            {
                return $"l0[{i}] has no SST id";
            }
        }

        for (var r = 0; r < manifest.SortedRuns.Count; r++)
        {
            var run = manifest.SortedRuns[r];
            for (var i = 0; i < run.Ssts.Count; i++)
            {
                if (run.Ssts[i].Id is null)
                {
                    return $"sorted run {run.Id} (sorted_runs[{r}]) sst[{i}] has no SST id";
                }
            }
        }

        for (var i = 0; i < manifest.Checkpoints.Count; i++)
        {
            if (manifest.Checkpoints[i].Id is null)
            {
                return $"checkpoints[{i}] has no id";
            }
        }

        for (var i = 0; i < manifest.ExternalDbs.Count; i++)
        {
            var db = manifest.ExternalDbs[i];
            if (string.IsNullOrEmpty(db.Path))
            {
                return $"external_dbs[{i}] has no path";
            }

            if (db.SourceCheckpointId is null)
            {
                return $"external_dbs[{i}] ('{db.Path}') has no source checkpoint id";
            }
        }

        return null;
    }

    private static CorruptionException Corrupt(string objectPath, string detail) => new(objectPath, detail);
}
