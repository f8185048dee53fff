using SlateDb.Core.Tests.Compaction;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Transactions;

public sealed class SnapshotTests
{
    [Fact]
    public async Task A_snapshot_reads_the_database_as_it_was_when_it_was_opened()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await db.PutAsync(K(1), V(1, 1), NoWait);
        await db.PutAsync(K(2), V(2, 1), NoWait);
        await using var snapshot = db.Snapshot();

        await db.PutAsync(K(1), V(1, 2), NoWait);
        await db.DeleteAsync(K(2), NoWait);
        await db.PutAsync(K(3), V(3, 1), NoWait);

        Assert.Equal(V(1, 1), await snapshot.GetAsync(K(1)));
        Assert.Equal(V(2, 1), await snapshot.GetAsync(K(2)));
        Assert.Null(await snapshot.GetAsync(K(3)));
        Assert.Equal([K(1), K(2)], await KeysAsync(snapshot.ScanAsync(KeyRange.All)));
        Assert.Equal(V(1, 2), await db.GetAsync(K(1)));

        await using var scan = snapshot.ScanAsync(KeyRange.All);
        await scan.SeekAsync(K(2));
        var next = await scan.NextAsync();
        Assert.Equal(K(2), next!.Value.Key.ToArray());
        Assert.Null(await scan.NextAsync());
    }

    [Fact]
    public async Task A_memtable_flush_keeps_the_versions_an_open_snapshot_reads()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1, 1), NoWait);
        await db.PutAsync(K(2), V(2, 1), NoWait);
        await using var snapshot = db.Snapshot();
        await db.PutAsync(K(1), V(1, 2), NoWait);
        await db.DeleteAsync(K(2), NoWait);

        await db.FlushAsync(FlushType.MemTable);

        Assert.Equal(V(1, 1), await snapshot.GetAsync(K(1)));
        Assert.Equal(V(2, 1), await snapshot.GetAsync(K(2)));
        Assert.Equal([K(1), K(2)], await KeysAsync(snapshot.ScanAsync(KeyRange.All)));
        Assert.Equal(V(1, 2), await db.GetAsync(K(1)));
        Assert.Null(await db.GetAsync(K(2)));
        var manifest = (await LatestManifestAsync(store)).Value;
        Assert.Equal(snapshot.Seq, manifest.RecentSnapshotMinSeq);
        Assert.Equal(4UL, Assert.Single(manifest.L0).RowCount);
    }

    [Fact]
    public async Task Without_open_snapshots_a_flush_writes_only_the_newest_version_and_publishes_its_last_seq()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1, 1), NoWait);
        var snapshot = db.Snapshot();
        await db.PutAsync(K(1), V(1, 2), NoWait);
        await snapshot.DisposeAsync();
        var last = await db.PutAsync(K(1), V(1, 3), NoWait);

        await db.FlushAsync(FlushType.MemTable);

        var manifest = (await LatestManifestAsync(store)).Value;
        Assert.Equal(1UL, Assert.Single(manifest.L0).RowCount);
        Assert.Equal(last.Seq, manifest.RecentSnapshotMinSeq);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await snapshot.GetAsync(K(1)));
    }

    [Fact]
    public async Task A_scan_of_a_snapshot_keeps_its_versions_after_the_snapshot_is_disposed()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await db.PutAsync(K(1), V(1, 1), NoWait);
        var snapshot = db.Snapshot();
        await using var scan = snapshot.ScanAsync(KeyRange.All);
        await snapshot.DisposeAsync();
        await db.PutAsync(K(1), V(1, 2), NoWait);
        await db.FlushAsync(FlushType.MemTable);

        var first = await scan.NextAsync();

        Assert.Equal(V(1, 1), first!.Value.Value.ToArray());
    }

    [Fact]
    public async Task A_snapshot_of_a_closed_database_is_refused()
    {
        var db = await OpenAsync(new InMemoryObjectStore());
        await using var snapshot = db.Snapshot();
        await db.CloseAsync();

        Assert.Throws<DbClosedException>(() => db.Snapshot());
        await Assert.ThrowsAsync<DbClosedException>(async () => await snapshot.GetAsync(K(1)));
    }

    [Fact]
    public async Task Compaction_keeps_the_versions_open_snapshots_read()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore(), CompactionKit.Small(CompactionKit.Policy(threshold: 2)));
        var model = new VersionedModel();
        var snapshots = new List<DbSnapshot>();
        for (var version = 1; version <= 4; version++)
        {
            for (var key = 0; key < 60; key++)
            {
                var delete = key % 5 == version;
                var handle = delete ? await db.DeleteAsync(K(key), NoWait) : await db.PutAsync(K(key), V(key, version), NoWait);
                model.Set(key, handle.Seq, delete ? null : V(key, version));
                if (key % 20 == 19)
                {
                    await db.FlushAsync(FlushType.MemTable);
                }
            }

            snapshots.Add(db.Snapshot());
        }

        await db.FlushAsync(FlushType.MemTable);
        await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        Assert.NotEmpty(db.Engine.State.Current.SortedRuns);

        foreach (var snapshot in snapshots)
        {
            var expected = model.At(snapshot.Seq, 60);
            var keys = Enumerable.Range(0, 60).Select(k => (ReadOnlyMemory<byte>)K(k)).ToList();
            Assert.Equal(expected, await snapshot.GetManyAsync(keys));
            for (var key = 0; key < 60; key++)
            {
                Assert.Equal(expected[key], await snapshot.GetAsync(K(key)));
            }
        }

        foreach (var snapshot in snapshots)
        {
            await snapshot.DisposeAsync();
        }
    }

    /// <summary>
    /// Writers and memtable flushes run while snapshots open at random moments; each snapshot must read exactly the
    /// versioned model's state at its seq, by get, by batched get and by scan.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Snapshots_match_a_versioned_model_under_concurrent_writes_and_flushes(int seed)
    {
        const int Keys = 40;
        var random = new Random(seed);
        await using var db = await OpenAsync(new InMemoryObjectStore(), new Settings { ManifestPollInterval = TimeSpan.FromHours(1), L0SstSizeBytes = 2048 });
        var model = new VersionedModel();
        using var modelLock = new SemaphoreSlim(1);

        // Two writers: each write and its model entry are recorded under one lock, so the model has every seq.
        async Task WriteAsync(int writerSeed)
        {
            var r = new Random(writerSeed);
            for (var i = 0; i < 300; i++)
            {
                var key = r.Next(Keys);
                var delete = r.Next(5) == 0;
                await modelLock.WaitAsync();
                try
                {
                    var handle = delete ? await db.DeleteAsync(K(key), NoWait) : await db.PutAsync(K(key), V(key, i), NoWait);
                    model.Set(key, handle.Seq, delete ? null : V(key, i));
                }
                finally
                {
                    modelLock.Release();
                }

                if (i % 25 == 0)
                {
                    await db.FlushAsync(FlushType.MemTable);
                }

                await Task.Yield();
            }
        }

        var writers = Task.WhenAll(Task.Run(() => WriteAsync(seed * 10)), Task.Run(() => WriteAsync((seed * 10) + 1)));
        var snapshots = new List<DbSnapshot>();
        while (!writers.IsCompleted)
        {
            await modelLock.WaitAsync();
            snapshots.Add(db.Snapshot());
            modelLock.Release();

            await Task.Yield();
            if (snapshots.Count > 20)
            {
                break;
            }
        }

        await writers;
        await db.FlushAsync(FlushType.MemTable);
        foreach (var snapshot in snapshots)
        {
            var expected = model.At(snapshot.Seq, Keys);
            for (var key = 0; key < Keys; key++)
            {
                Assert.Equal(expected[key], await snapshot.GetAsync(K(key)));
            }

            var keys = Enumerable.Range(0, Keys).Select(k => (ReadOnlyMemory<byte>)K(random.Next(Keys))).ToList();
            var many = await snapshot.GetManyAsync(keys);
            for (var i = 0; i < keys.Count; i++)
            {
                Assert.Equal(await snapshot.GetAsync(keys[i]), many[i]);
            }

            var scanned = new List<string>();
            await foreach (var kv in snapshot.ScanAsync(KeyRange.All))
            {
                scanned.Add($"{Text(kv.Key)}={Text(kv.Value)}");
            }

            var expectedScan = Enumerable.Range(0, Keys).Where(k => expected[k] is not null).Select(k => $"{Text(K(k))}={Text(expected[k]!)}").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expectedScan, scanned);
            await snapshot.DisposeAsync();
        }
    }

    private static string Text(ReadOnlyMemory<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes.Span);

    private static async Task<List<byte[]>> KeysAsync(DbIterator scan)
    {
        var keys = new List<byte[]>();
        await foreach (var kv in scan)
        {
            keys.Add(kv.Key.ToArray());
        }

        return keys;
    }

    // Every version of every key, by seq.
    private sealed class VersionedModel
    {
        private readonly Dictionary<int, List<(ulong Seq, byte[]? Value)>> _versions = [];

        public void Set(int key, ulong seq, byte[]? value)
        {
            if (!_versions.TryGetValue(key, out var list))
            {
                _versions[key] = list = [];
            }

            list.Add((seq, value));
        }

        public byte[]?[] At(ulong seq, int keys)
        {
            var values = new byte[]?[keys];
            foreach (var (key, list) in _versions)
            {
                values[key] = list.Where(v => v.Seq <= seq).OrderByDescending(v => v.Seq).Select(v => v.Value).FirstOrDefault();
            }

            return values;
        }
    }
}
