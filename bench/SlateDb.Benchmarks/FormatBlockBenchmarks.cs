using BenchmarkDotNet.Attributes;
using SlateDb.Format;

namespace SlateDb.Benchmarks;

/// <summary>Encoding and decoding one 4 KiB data block (about 30 rows of 16-byte keys and 100-byte values).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FormatBlockBenchmarks
{
    private Row[] _rows = [];
    private BlockBuilder _builder = null!;
    private DataBlock _block = null!;
    private BlockCursor _cursor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rows = FormatBenchmarkData.Rows(4096);
        _builder = new BlockBuilder(8192);
        var count = 0;
        while (_builder.TryAdd(_rows[count], 4096))
        {
            count++;
        }

        _rows = _rows[..count];
        _block = new DataBlock(_builder.Finish().ToArray(), "bench.sst", 0);
        _cursor = new BlockCursor();
    }

    [Benchmark]
    public int EncodeBlock()
    {
        _builder.Reset();
        foreach (var row in _rows)
        {
            _builder.TryAdd(row, int.MaxValue);
        }

        return _builder.Finish().Length;
    }

    [Benchmark]
    public long DecodeBlock()
    {
        _cursor.Reset(_block);
        long sum = 0;
        while (_cursor.MoveNext())
        {
            sum += _cursor.Current.Value.Length;
        }

        return sum;
    }

    [Benchmark]
    public bool SeekInBlock()
    {
        _cursor.Reset(_block);
        return _cursor.Seek(_rows[_rows.Length * 2 / 3].Key.Span);
    }

    [Benchmark]
    public bool FindInBlock()
    {
        var key = _rows[_rows.Length * 2 / 3].Key;
        return BlockSearch.Find(_block, key.Span, ulong.MaxValue, key, out _) == BlockSearchResult.Found;
    }
}
