using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>Databases whose manifest lists a hand-written sorted run (only compaction creates runs otherwise).</summary>
internal static class SortedRunKit
{
    /// <summary>
    /// A store holding the test database with sorted run 0 made of one SST per entry of <paramref name="tables"/> (rows
    /// in SST order, disjoint key ranges in key order); the SSTs live under <paramref name="parent"/> when given (a
    /// clone's parent, listed as an external database).
    /// </summary>
    public static async Task<InMemoryObjectStore> StoreWithSortedRunAsync(IReadOnlyList<IReadOnlyList<Row>> tables, int blockSize, string? parent = null)
    {
        var store = new InMemoryObjectStore();
        await (await OpenAsync(store)).CloseAsync();

        var owner = new DbPaths(parent ?? DbPath);
        var random = new DbRandom(99);
        var run = new SortedRun { Id = 0 };
        for (var table = 0; table < tables.Count; table++)
        {
            using var writer = new SstWriter(new SstWriterOptions { BlockSize = blockSize, MinFilterKeys = 1 });
            foreach (var row in tables[table])
            {
                writer.Add(row);
            }

            var built = writer.Finish();
            var id = random.NextUlid(1_000 + table);
            await store.PutAsync(owner.CompactedSstPath(id), built.Data, PutMode.Create);
            run.Ssts.Add(ManifestViews.ToHandle(id, built.Info));
        }

        var maxSeq = tables.SelectMany(rows => rows).Max(row => row.Seq);
        await new ManifestStore(store, DbPath).UpdateAsync(latest =>
        {
            var next = latest.Value.Clone();
            next.SortedRuns.Add(run);
            next.LastL0Seq = Math.Max(next.LastL0Seq, maxSeq);
            if (parent is not null)
            {
                var external = new ExternalDb { Path = parent, SourceCheckpointId = Uuid.FromGuid(random.NextGuid()) };
                external.SstIds.AddRange(run.Ssts.Select(h => h.Id.Clone()));
                next.ExternalDbs.Add(external);
            }

            return next;
        });
        return store;
    }
}
