using BenchmarkDotNet.Attributes;
using SlateDb.Format;
using SlateDb.Wal;

namespace SlateDb.Benchmarks;

/// <summary>
/// The WAL's per-row costs, 16-byte keys and 100-byte values (times are per row): Append is what the write loop pays
/// (a copy into the staging buffer), Encode what the WAL writer's task pays to turn staged rows into a WAL SST.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class WalBenchmarks
{
    private const int RowCount = 100_000;
    private Row[] _rows = [];
    private WalStagingBuffer _staged = null!;
    private ByteBuffer _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rows = FormatBenchmarkData.Rows(RowCount);
        _staged = new WalStagingBuffer();
        foreach (var row in _rows)
        {
            _staged.Append(row);
        }

        _output = new ByteBuffer(RowCount * 160);
    }

    [GlobalCleanup]
    public void Cleanup() => _staged.Dispose();

    [Benchmark(OperationsPerInvoke = RowCount)]
    public long Append()
    {
        using var buffer = new WalStagingBuffer();
        foreach (var row in _rows)
        {
            buffer.Append(row);
        }

        return buffer.PayloadBytes;
    }

    [Benchmark(OperationsPerInvoke = RowCount)]
    public int Encode()
    {
        using var writer = new SstWriter(new SstWriterOptions { Kind = SstKind.Wal, BloomBitsPerKey = 0 }, _output);
        _staged.WriteTo(writer);
        return writer.Finish().Data.Length;
    }
}
