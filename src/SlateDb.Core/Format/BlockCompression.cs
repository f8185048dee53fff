using System.Buffers.Binary;
using SlateDb.Infrastructure;
using ZstdSharp;

namespace SlateDb.Format;

/// <summary>
/// Seals a block into its stored form and opens it again. Stored form: <c>payload | u8 codec | u32 crc32c</c>, the
/// checksum covering the payload and the codec byte. An uncompressed payload is the block itself; a zstd payload is
/// <c>u32 decoded length | zstd frame</c>. A block that does not shrink is stored uncompressed, so the codec byte of
/// each block, not the SST's setting, says how to read it.
/// </summary>
internal static class BlockCompression
{
    /// <summary>The zstd level used when none is given.</summary>
    public const int DefaultZstdLevel = 3;

    // The most one zstd block decodes to (the format's Block_Maximum_Size).
    private const int ZstdMaxBlockOutput = 128 * 1024;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    /// <summary>
    /// Turns the bytes written to <paramref name="output"/> since <paramref name="blockStart"/> (one encoded block) into
    /// its stored form in place: replaced by its zstd form when <paramref name="compressor"/> is given and that is
    /// smaller, then followed by the trailer. Returns the stored length.
    /// </summary>
    /// <param name="output">The buffer holding the block at its end.</param>
    /// <param name="blockStart">Where the block starts in <paramref name="output"/>.</param>
    /// <param name="compressor">The compressor to try, or null to store the block uncompressed.</param>
    /// <param name="scratch">A reusable buffer for the compressed form (grown as needed).</param>
    public static int SealInPlace(ByteBuffer output, int blockStart, Compressor? compressor, ref byte[] scratch)
    {
        var blockLength = output.Length - blockStart;
        if (blockLength > SstFormat.MaxDecodedBlockLength)
        {
            throw new InvalidOperationException(
                $"A block of {blockLength} bytes exceeds the format's limit of {SstFormat.MaxDecodedBlockLength} bytes.");
        }

        if (compressor is not null)
        {
            var bound = Compressor.GetCompressBound(blockLength);
            if (scratch.Length < bound)
            {
                scratch = GC.AllocateUninitializedArray<byte>(Math.Max(bound, scratch.Length * 2));
            }

            if (compressor.TryWrap(output.WrittenSpan[blockStart..], scratch, out var written) && written + sizeof(uint) < blockLength)
            {
                output.Truncate(blockStart);
                var span = output.GetSpan(sizeof(uint) + written);
                BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)blockLength);
                scratch.AsSpan(0, written).CopyTo(span[sizeof(uint)..]);
                output.Advance(sizeof(uint) + written);
                return AppendTrailer(output, blockStart, CompressionCodec.Zstd);
            }
        }

        return AppendTrailer(output, blockStart, CompressionCodec.None);
    }

    /// <summary>
    /// Turns the bytes written to <paramref name="output"/> since <paramref name="payloadStart"/> into an uncompressed
    /// stored block by appending its trailer; returns the stored length.
    /// </summary>
    public static int Seal(ByteBuffer output, int payloadStart) => AppendTrailer(output, payloadStart, CompressionCodec.None);

    /// <summary>
    /// Verifies the checksum of a stored block and returns its decoded bytes: a slice of <paramref name="stored"/> when
    /// uncompressed, a new array otherwise. Any mismatch raises <see cref="CorruptionException"/> naming the part:
    /// <paramref name="part"/>, followed by <paramref name="blockIndex"/> when that is not negative ("block 7").
    /// </summary>
    public static ReadOnlyMemory<byte> Read(ReadOnlyMemory<byte> stored, string objectPath, string part, int blockIndex = -1)
    {
        var span = stored.Span;
        if (span.Length < SstFormat.BlockTrailerLength)
        {
            throw Corrupt(objectPath, part, blockIndex, $"{span.Length} bytes cannot hold the {SstFormat.BlockTrailerLength}-byte block trailer");
        }

        var payloadLength = span.Length - SstFormat.BlockTrailerLength;
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(span[(payloadLength + 1)..]);
        var actual = Crc32C.Compute(span[..(payloadLength + 1)]);
        if (actual != expected)
        {
            throw Corrupt(objectPath, part, blockIndex, $"checksum mismatch (stored {expected:x8}, computed {actual:x8})");
        }

        var codec = span[payloadLength];
        return codec switch
        {
            (byte)CompressionCodec.None => stored[..payloadLength],
            (byte)CompressionCodec.Zstd => Decompress(span[..payloadLength], objectPath, part, blockIndex),
            _ => throw Corrupt(objectPath, part, blockIndex, $"unknown compression codec {codec}"),
        };
    }

    private static int AppendTrailer(ByteBuffer output, int payloadStart, CompressionCodec codec)
    {
        var payloadLength = output.Length - payloadStart;
        output.GetSpan(SstFormat.BlockTrailerLength)[0] = (byte)codec;
        output.Advance(1);
        var crc = Crc32C.Compute(output.WrittenSpan[payloadStart..]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(sizeof(uint)), crc);
        output.Advance(sizeof(uint));
        return payloadLength + SstFormat.BlockTrailerLength;
    }

    private static byte[] Decompress(ReadOnlySpan<byte> payload, string objectPath, string part, int blockIndex)
    {
        if (payload.Length < sizeof(uint))
        {
            throw Corrupt(objectPath, part, blockIndex, $"a zstd payload of {payload.Length} bytes has no length prefix");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (length > SstFormat.MaxDecodedBlockLength)
        {
            throw Corrupt(objectPath, part, blockIndex, $"decoded length {length} exceeds the limit of {SstFormat.MaxDecodedBlockLength} bytes");
        }

        var frameLength = payload.Length - sizeof(uint);
        if (length > MaxZstdOutput(frameLength))
        {
            throw Corrupt(objectPath, part, blockIndex, $"decoded length {length} is more than a {frameLength}-byte zstd frame can hold ({MaxZstdOutput(frameLength)} bytes)");
        }

        var decoded = new byte[length];
        int written;
        try
        {
            var decompressor = t_decompressor ??= new Decompressor();
            if (!decompressor.TryUnwrap(payload[sizeof(uint)..], decoded, out written))
            {
                throw Corrupt(objectPath, part, blockIndex, $"zstd data decodes to more than the recorded {length} bytes");
            }
        }
        catch (ZstdException e)
        {
            throw Corrupt(objectPath, part, blockIndex, $"zstd data does not decode ({e.Message})", e);
        }

        if (written != decoded.Length)
        {
            throw Corrupt(objectPath, part, blockIndex, $"zstd data decodes to {written} bytes, not the recorded {length}");
        }

        return decoded;
    }

    // Every zstd block decodes to at most 128 KiB and takes at least a 3-byte header, so n bytes of zstd data decode
    // to fewer than (n / 3 + 1) * 128 KiB. A recorded length above that is damage; refusing it before allocating keeps a
    // corrupt length field from costing up to the format's limit in memory.
    private static long MaxZstdOutput(int frameLength) => ((frameLength / 3L) + 1) * ZstdMaxBlockOutput;

    private static CorruptionException Corrupt(string objectPath, string part, int blockIndex, string detail, Exception? inner = null)
        => new(objectPath, blockIndex >= 0 ? $"{part} {blockIndex}: {detail}" : $"{part}: {detail}", inner);
}
