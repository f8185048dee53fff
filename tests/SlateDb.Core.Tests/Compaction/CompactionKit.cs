using SlateDb.Layout;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Compaction;

/// <summary>Settings and checks for compaction tests: tiny SSTs so a few kilobytes make many L0 SSTs and runs.</summary>
internal static class CompactionKit
{
    public static CompactorSettings Policy(int threshold = 2) => new()
    {
        L0CompactionThreshold = threshold,
        MaxL0SstsPerCompaction = Math.Max(threshold, 4),
        MinSortedRunsToMerge = 2,
        MaxSortedRunsPerCompaction = 4,
        TargetSstSizeBytes = 4096,
        MaxSubcompactions = 2,
        PollInterval = TimeSpan.FromHours(1),
    };

    public static Settings Small(CompactorSettings? compactor, int l0Max = 1000) => new()
    {
        L0SstSizeBytes = 2048,
        BlockSize = 512,
        MinFilterKeys = 4,
        ManifestPollInterval = TimeSpan.FromHours(1),
        L0MaxSsts = l0Max,
        Compactor = compactor,
    };

    /// <summary>Writes <paramref name="count"/> keys (versions as given) and flushes the memtable every <paramref name="flushEvery"/> puts.</summary>
    public static async Task WriteAsync(SlateDb.Db db, Dictionary<int, byte[]?> model, int from, int count, int version, int flushEvery = 25)
    {
        for (var i = from; i < from + count; i++)
        {
            if (i % 7 == 3 && version > 1)
            {
                await db.DeleteAsync(K(i), NoWait);
                model[i] = null;
            }
            else
            {
                await db.PutAsync(K(i), V(i, version), NoWait);
                model[i] = V(i, version);
            }

            if ((i - from) % flushEvery == flushEvery - 1)
            {
                await db.FlushAsync(FlushType.MemTable);
            }
        }
    }

    public static async Task AssertMatchesAsync(SlateDb.Db db, Dictionary<int, byte[]?> model)
    {
        foreach (var (key, value) in model)
        {
            Assert.Equal(value, await db.GetAsync(K(key)));
        }

        var expected = model.Where(e => e.Value is not null).OrderBy(e => e.Key).Select(e => (K(e.Key), e.Value!)).ToList();
        var actual = new List<(byte[], byte[])>();
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            actual.Add((kv.Key.ToArray(), kv.Value.ToArray()));
        }

        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item1, actual[i].Item1);
            Assert.Equal(expected[i].Item2, actual[i].Item2);
        }
    }

    /// <summary>Every SST the latest manifest names exists, and each run's SSTs are key-ordered and disjoint.</summary>
    public static async Task<ManifestData> AssertReferencedExistAsync(IObjectStore store)
    {
        var manifest = (await LatestManifestAsync(store)).Value;
        var paths = new DbPaths(DbPath);
        foreach (var handle in manifest.L0.Concat(manifest.SortedRuns.SelectMany(r => r.Ssts)))
        {
            var meta = await store.HeadAsync(paths.CompactedSstPath(handle.Id.ToUlid()));
            Assert.Equal((long)handle.Size, meta.Size);
        }

        foreach (var run in manifest.SortedRuns)
        {
            for (var i = 1; i < run.Ssts.Count; i++)
            {
                Assert.True(
                    run.Ssts[i - 1].LastKey.Span.SequenceCompareTo(run.Ssts[i].FirstKey.Span) < 0,
                    $"run {run.Id}: SST {i - 1} ends at or after SST {i} starts");
            }
        }

        return manifest;
    }

    /// <summary>A copy of every object of <paramref name="source"/>.</summary>
    public static async Task<InMemoryObjectStore> CopyAsync(IObjectStore source)
    {
        var copy = new InMemoryObjectStore(source.Uri);
        await foreach (var meta in source.ListAsync(""))
        {
            var data = await source.GetAsync(meta.Path);
            await copy.PutAsync(meta.Path, data.Bytes, PutMode.Create);
        }

        return copy;
    }
}
