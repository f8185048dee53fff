using System.Buffers.Binary;
using SlateDb.Format;

namespace SlateDb.Benchmarks;

/// <summary>Rows shaped like the speed target: 16-byte keys and 100-byte values (lower-case letters, so zstd has something to do).</summary>
internal static class FormatBenchmarkData
{
    public static byte[] Key(long i)
    {
        var key = new byte[16];
        "bench-k:"u8.CopyTo(key);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), i);
        return key;
    }

    public static Row[] Rows(int count, int seed = 42)
    {
        var random = new Random(seed);
        var rows = new Row[count];
        for (var i = 0; i < count; i++)
        {
            var value = new byte[100];
            for (var j = 0; j < value.Length; j++)
            {
                value[j] = (byte)('a' + random.Next(26));
            }

            rows[i] = new Row(Key(i), (ulong)i + 1, RowKind.Put, value, 1_700_000_000_000 + i);
        }

        return rows;
    }

    public static SstBuildResult Build(Row[] rows, CompressionCodec codec, SstKind kind = SstKind.Compacted)
    {
        using var writer = new SstWriter(new SstWriterOptions { Compression = codec, Kind = kind, ExpectedSizeBytes = rows.Length * 150 });
        foreach (var row in rows)
        {
            writer.Add(row);
        }

        return writer.Finish();
    }
}
