using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Reader;

/// <summary>Readers and compaction: a pinned reader keeps its view, a following one sees the compacted state.</summary>
public sealed class ReaderCompactionTests
{
    [Fact]
    public async Task A_pinned_reader_keeps_its_view_and_a_following_reader_catches_up_across_compactions()
    {
        var store = new InMemoryObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using var db = await OpenAsync(store, Small(Policy()));
        await WriteAsync(db, model, 0, 100, version: 1);
        var pinnedModel = new Dictionary<int, byte[]?>(model);
        var cp = await db.CreateCheckpointAsync(CheckpointScope.All);
        await using var pinned = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { CheckpointId = cp.Id });
        await using var following = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { ManifestPollInterval = TimeSpan.FromHours(1), CheckpointLifetime = TimeSpan.FromHours(3) });

        for (var version = 2; version <= 4; version++)
        {
            await WriteAsync(db, model, 0, 100, version);
        }

        await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        var manifest = await AssertReferencedExistAsync(store);
        Assert.NotEmpty(manifest.SortedRuns);     // compaction rewrote what the pinned reader's manifest names
        await following.RefreshAsync();

        foreach (var (key, value) in pinnedModel)
        {
            Assert.Equal(value, await pinned.GetAsync(K(key)));
        }

        foreach (var (key, value) in model)
        {
            Assert.Equal(value, await following.GetAsync(K(key)));
        }

        var scanned = new List<byte[]>();
        await foreach (var kv in following.ScanAsync(KeyRange.All))
        {
            scanned.Add(kv.Value.ToArray());
        }

        Assert.Equal(model.Where(e => e.Value is not null).OrderBy(e => e.Key).Select(e => e.Value!), scanned);
    }
}
