using BenchmarkDotNet.Attributes;
using SlateDb.Core.Tests.Read;
using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Benchmarks;

/// <summary>
/// The k-way merge over <see cref="Sources"/> in-memory sources holding 100 000 rows in all (16-byte keys, each key
/// present in two sources at different seqs, so half the rows are shadowed). Per-operation figures are per input row.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class MergeBenchmarks
{
    private const int TotalRows = 100_000;
    private IRowIterator[] _iterators = [];

    [Params(2, 8, 32)]
    public int Sources { get; set; }

    [Params(true, false)]
    public bool NewestOnly { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var keys = new byte[TotalRows / 2 * 16];
        random.NextBytes(keys);
        var lists = Enumerable.Range(0, Sources).Select(_ => new List<Row>()).ToArray();
        var value = new byte[100];
        ulong seq = 0;
        for (var version = 0; version < 2; version++)
        {
            for (var k = 0; k < TotalRows / 2; k++)
            {
                var row = new Row(keys.AsMemory(k * 16, 16), ++seq, RowKind.Put, value, 0);
                lists[random.Next(Sources)].Add(row);
            }
        }

        _iterators = lists.Select(l => (IRowIterator)ArrayRowIterator.FromUnsorted(l)).ToArray();
    }

    [Benchmark(OperationsPerInvoke = TotalRows)]
    public async Task<int> Drain()
    {
        // Array iterators rewind with a seek to the empty key and ignore disposal, so they are reused.
        foreach (var iterator in _iterators)
        {
            await iterator.SeekAsync(ReadOnlyMemory<byte>.Empty);
        }

        var count = 0;
        await using var merge = new MergeIterator(_iterators, new MergeOptions { NewestOnly = NewestOnly });
        while (await merge.MoveNextAsync())
        {
            count++;
        }

        return count;
    }
}
