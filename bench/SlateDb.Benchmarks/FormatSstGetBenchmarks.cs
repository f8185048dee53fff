using BenchmarkDotNet.Attributes;
using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;

namespace SlateDb.Benchmarks;

/// <summary>
/// Point lookups in one SST of 200 000 rows (16-byte keys, 100-byte values, 4 KiB blocks, uncompressed), times per
/// lookup: <c>GetCached</c> reads through an <see cref="InMemoryObjectStore"/> with every block in the block cache (the
/// warm L0 case of <c>readrandom</c>), <c>GetAbsentCached</c> looks up keys between the stored ones that the bloom
/// filter does not reject (so the blocks are searched; the few such keys repeat), <c>GetFromMemory</c> decodes the block from an SST held in memory.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FormatSstGetBenchmarks
{
    private const int RowCount = 200_000;
    private const int Lookups = 1_000;
    private const string Path = "compacted/get.sst";
    private byte[][] _present = [];
    private byte[][] _absent = [];
    private SstReader _cached = null!;
    private SstReader _memory = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var rows = FormatBenchmarkData.Rows(RowCount);
        var sst = FormatBenchmarkData.Build(rows, CompressionCodec.None);
        var store = new InMemoryObjectStore();
        await store.PutAsync(Path, sst.Data, PutMode.Create);
        _cached = await SstReader.OpenAsync(store, Path, new BlockCache(256L << 20));
        _memory = SstReader.Open(sst.Data, Path);
        for (var i = 0; i < _cached.BlockCount; i++)
        {
            await _cached.ReadBlockAsync(i, cache: true, CancellationToken.None);
        }

        // A fixed pseudo-random order (multiplicative stride), so every run looks up the same keys.
        _present = new byte[Lookups][];
        var absent = new List<byte[]>();
        for (var i = 0; i < Lookups; i++)
        {
            _present[i] = FormatBenchmarkData.Key((i * 7919L) % RowCount);
        }

        for (var i = 0L; i < RowCount && absent.Count < Lookups; i++)
        {
            byte[] key = [.. FormatBenchmarkData.Key((i * 7919L) % RowCount), (byte)0];   // between two stored keys
            if (_cached.MightContain(key) && await _cached.GetAsync(key, ulong.MaxValue) is null)
            {
                absent.Add(key);
            }
        }

        // The filter passes about 1 % of absent keys: repeat those found to make up the count.
        if (absent.Count == 0)
        {
            throw new InvalidOperationException("No absent key passed the bloom filter.");
        }

        for (var i = 0; absent.Count < Lookups; i++)
        {
            absent.Add(absent[i]);
        }

        _absent = [.. absent];
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public Task<long> GetCached() => GetManyAsync(_cached, _present);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public Task<long> GetAbsentCached() => GetManyAsync(_cached, _absent);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public Task<long> GetFromMemory() => GetManyAsync(_memory, _present);

    private static async Task<long> GetManyAsync(SstReader reader, byte[][] keys)
    {
        long sum = 0;
        foreach (var key in keys)
        {
            if (await reader.GetAsync(key, ulong.MaxValue) is { } row)
            {
                sum += row.Value.Length;
            }
        }

        return sum;
    }
}
