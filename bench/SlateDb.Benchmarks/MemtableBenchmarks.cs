using BenchmarkDotNet.Attributes;
using SlateDb.Format;

namespace SlateDb.Benchmarks;

/// <summary>
/// Memtable insert, point lookup and scan with 16-byte keys and 100-byte values. Each invocation works on
/// <see cref="Rows"/> rows, so the per-operation figures are per row. Target: insert at 2 M rows/s or more.
/// <see cref="Insert"/> commits each row on its own; <see cref="InsertBatches100"/> commits 100 rows at a time.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class MemtableBenchmarks
{
    private const int KeyLength = 16;
    private const int ValueLength = 100;
    private Row[] _rows = [];
    private byte[][] _lookupKeys = [];
    private Memtables.Memtable _filled = null!;

    [Params(100_000)]
    public int Rows { get; set; }

    [Params(KeyOrder.Random, KeyOrder.Sequential)]
    public KeyOrder Order { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var keys = new byte[Rows * KeyLength];
        random.NextBytes(keys);
        if (Order == KeyOrder.Sequential)
        {
            for (var i = 0; i < Rows; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(keys.AsSpan(i * KeyLength), i);
            }
        }

        var value = new byte[ValueLength];
        random.NextBytes(value);
        _rows = new Row[Rows];
        for (var i = 0; i < Rows; i++)
        {
            _rows[i] = new Row(keys.AsMemory(i * KeyLength, KeyLength), (ulong)i + 1, RowKind.Put, value, i);
        }

        _filled = Fill();
        _lookupKeys = Enumerable.Range(0, Rows).Select(_ => _rows[random.Next(Rows)].Key.ToArray()).ToArray();
    }

    [Benchmark(OperationsPerInvoke = 100_000)]
    public long Insert() => Fill().Count;

    /// <summary>Rows committed 100 at a time, as the write loop commits a batch of 100 puts.</summary>
    [Benchmark(OperationsPerInvoke = 100_000)]
    public long InsertBatches100()
    {
        var table = new Memtables.Memtable();
        var rows = _rows.AsSpan();
        for (var i = 0; i < rows.Length; i++)
        {
            table.Stage(rows[i]);
            if (i % 100 == 99)
            {
                table.Commit();
            }
        }

        table.Commit();
        return table.Count;
    }

    [Benchmark(OperationsPerInvoke = 100_000)]
    public int Lookup()
    {
        var found = 0;
        foreach (var key in _lookupKeys)
        {
            if (_filled.TryGet(key, ulong.MaxValue, out _))
            {
                found++;
            }
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = 100_000)]
    public async Task<int> Scan()
    {
        var count = 0;
        await using var iterator = _filled.CreateIterator(KeyRange.All);
        while (await iterator.MoveNextAsync())
        {
            count++;
        }

        return count;
    }

    private Memtables.Memtable Fill()
    {
        var table = new Memtables.Memtable();
        foreach (ref readonly var row in _rows.AsSpan())
        {
            table.Add(row);
        }

        return table;
    }
}

/// <summary>How benchmark keys are ordered at insert time.</summary>
public enum KeyOrder
{
    /// <summary>Uniformly random keys.</summary>
    Random,

    /// <summary>Ascending keys (each insert lands after the previous one).</summary>
    Sequential,
}
