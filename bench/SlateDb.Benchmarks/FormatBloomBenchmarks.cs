using BenchmarkDotNet.Attributes;
using SlateDb.Format;

namespace SlateDb.Benchmarks;

/// <summary>Probing a 10 bits/key bloom filter over 100 000 keys with keys that are present and keys that are not.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FormatBloomBenchmarks
{
    private const int Keys = 100_000;
    private const int Probes = 1024;
    private BloomFilter _filter = null!;
    private byte[][] _present = [];
    private byte[][] _absent = [];

    [GlobalSetup]
    public void Setup()
    {
        var hashes = Enumerable.Range(0, Keys).Select(i => BloomFilter.Hash(FormatBenchmarkData.Key(i * 2))).ToArray();
        var buffer = new ByteBuffer(Keys * 2);
        BloomFilter.Write(buffer, hashes, 10);
        _filter = BloomFilter.Decode(buffer.WrittenMemory.ToArray(), "bench.sst");
        _present = [.. Enumerable.Range(0, Probes).Select(i => FormatBenchmarkData.Key(i * 2 * (Keys / Probes)))];
        _absent = [.. Enumerable.Range(0, Probes).Select(i => FormatBenchmarkData.Key((i * 2 * (Keys / Probes)) + 1))];
    }

    [Benchmark(OperationsPerInvoke = Probes)]
    public int ProbePresent()
    {
        var hits = 0;
        foreach (var key in _present)
        {
            hits += _filter.MightContain(key) ? 1 : 0;
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = Probes)]
    public int ProbeAbsent()
    {
        var hits = 0;
        foreach (var key in _absent)
        {
            hits += _filter.MightContain(key) ? 1 : 0;
        }

        return hits;
    }
}
