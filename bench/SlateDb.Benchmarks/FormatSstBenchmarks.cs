using BenchmarkDotNet.Attributes;
using SlateDb.Format;
using SlateDb.ObjectStore;

namespace SlateDb.Benchmarks;

/// <summary>
/// Writing and fully reading an SST of 200 000 rows (16-byte keys, 100-byte values); times are per row. The read
/// benchmarks go through an <see cref="InMemoryObjectStore"/> with 16-block (64 KiB) read-ahead (ReadFromStore) or decode an
/// SST already in memory (ReadFromMemory), each through the <c>IRowIterator</c> the engine uses. Write builds a
/// compacted SST (with its bloom filter); WriteWal builds a WAL SST (no filter, first/last key tracked in any order).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FormatSstBenchmarks
{
    private const int RowCount = 200_000;
    private const string Path = "compacted/bench.sst";
    private Row[] _rows = [];
    private SstBuildResult _sst = null!;
    private SstReader _memoryReader = null!;
    private SstReader _storeReader = null!;

    [Params(CompressionCodec.None, CompressionCodec.Zstd)]
    public CompressionCodec Codec { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _rows = FormatBenchmarkData.Rows(RowCount);
        _sst = FormatBenchmarkData.Build(_rows, Codec);
        _memoryReader = SstReader.Open(_sst.Data, Path);
        var store = new InMemoryObjectStore();
        await store.PutAsync(Path, _sst.Data, PutMode.Create);
        _storeReader = await SstReader.OpenAsync(store, Path);
    }

    [Benchmark(OperationsPerInvoke = RowCount)]
    public long Write() => FormatBenchmarkData.Build(_rows, Codec).Data.Length;

    [Benchmark(OperationsPerInvoke = RowCount)]
    public long WriteWal() => FormatBenchmarkData.Build(_rows, Codec, SstKind.Wal).Data.Length;

    [Benchmark(OperationsPerInvoke = RowCount)]
    public Task<long> ReadFromStore() => ReadAllAsync(_storeReader);

    [Benchmark(OperationsPerInvoke = RowCount)]
    public Task<long> ReadFromMemory() => ReadAllAsync(_memoryReader);

    private static async Task<long> ReadAllAsync(SstReader reader)
    {
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false, ReadAheadBlocks = 16 });
        long sum = 0;
        while (await iterator.MoveNextAsync())
        {
            sum += iterator.Current.Value.Length;
        }

        return sum;
    }
}
