using ZoneTree;
using ZoneTree.Comparers;
using ZoneTree.Options;
using ZoneTree.Serializers;

namespace SlateDb.Bench.Compare;

/// <summary>
/// ZoneTree: default options (its WAL in the default asynchronous-compressed mode; Sync mode for durable writes),
/// a maintainer merging in the background, byte-array keys compared lexicographically. ZoneTree keeps the key and
/// value arrays it is given, so every row gets fresh arrays (a cost the other engines do not pay). It has no
/// byte-budgeted block cache: --cache-mb does not apply.
/// </summary>
internal sealed class ZoneTreeEngine : ICompareEngine
{
    private readonly IZoneTree<byte[], byte[]> _tree;
    private readonly IMaintainer _maintainer;

    private ZoneTreeEngine(IZoneTree<byte[], byte[]> tree)
    {
        _tree = tree;
        _maintainer = tree.CreateMaintainer();
    }

    public static EngineKind Kind { get; } = new(
        "ZoneTree",
        (dir, _, sync) => ValueTask.FromResult<ICompareEngine>(Open(dir, sync)),
        "default options, background maintainer; durable writes: WriteAheadLogMode.Sync, which writes the WAL " +
        "record before returning but does not fsync it (not counted as a peer for durable-*); no block-cache budget",
        DurableWritesSync: false);

    private static ZoneTreeEngine Open(string dir, bool sync)
    {
        var factory = new ZoneTreeFactory<byte[], byte[]>()
            .SetDataDirectory(dir)
            .SetComparer(new BytesLexicographicComparerAscending())
            .SetKeySerializer(new BytesSerializer())
            .SetValueSerializer(new BytesSerializer());
        if (sync)
        {
            factory = factory.ConfigureWriteAheadLogOptions(x => x.WriteAheadLogMode = WriteAheadLogMode.Sync);
        }

        return new ZoneTreeEngine(factory.OpenOrCreate());
    }

    public ValueTask WriteAsync(byte[][] keys, ReadOnlyMemory<byte>[] values, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _tree.Upsert(keys[i].ToArray(), values[i].ToArray());
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask PutDurableAsync(byte[] key, ReadOnlyMemory<byte> value)
    {
        _tree.Upsert(key.ToArray(), value.ToArray());
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> GetAsync(byte[] key) => ValueTask.FromResult(_tree.TryGet(key, out _));

    public ValueTask<long> ScanAsync(byte[]? start, long limit)
    {
        long rows = 0;
        using var it = _tree.CreateIterator();
        if (start is null)
        {
            it.SeekFirst();
        }
        else
        {
            it.Seek(start);
        }

        while (rows < limit && it.Next())
        {
            _ = it.CurrentKey;
            _ = it.CurrentValue;
            rows++;
        }

        return ValueTask.FromResult(rows);
    }

    public ValueTask FlushAsync()
    {
        _maintainer.EvictToDisk();
        _maintainer.WaitForBackgroundThreads();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _maintainer.WaitForBackgroundThreads();
        _maintainer.Dispose();
        _tree.Dispose();
        return ValueTask.CompletedTask;
    }
}
