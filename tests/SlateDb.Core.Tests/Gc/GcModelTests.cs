using SlateDb.Gc;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;
using static SlateDb.Core.Tests.Gc.GcKit;

namespace SlateDb.Core.Tests.Gc;

/// <summary>
/// Collection running concurrently with puts, deletes, flushes, rewrites (what compaction does to references),
/// checkpoints, scans held open over many steps and reopens: every read equals a model, none hits a deleted object.
/// </summary>
public sealed class GcModelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_read_equals_the_model_while_collectors_run_concurrently(int seed)
    {
        var random = new Random(seed);
        var time = Clock();
        var store = new InMemoryObjectStore(null, time);
        // The test rewrites L0 itself (as compaction would); the real compactor would race it for the same SSTs.
        var settings = new Settings { ManifestPollInterval = TimeSpan.FromHours(1), Gc = null, Compactor = null };
        var model = new SortedDictionary<int, byte[]>();
        var scans = new List<(DbIterator Scan, List<KeyValuePair<int, byte[]>> Expected, int Next)>();
        var db = await OpenAsync(store, settings, time, seed: seed);
        var collector = db.Engine.CreateCollector();
        var gc = Task.CompletedTask;
        var collections = 0;

        for (var step = 0; step < 600; step++)
        {
            if (gc.IsCompleted || step % 25 == 0)
            {
                await gc;
                collections++;
                gc = Task.Run(() => collector.RunAsync(NoMinAge, default));
            }

            var roll = random.Next(100);
            var key = random.Next(150);
            if (roll < 40)
            {
                var value = V(key, step);
                await db.PutAsync(K(key), value, NoWait);
                model[key] = value;
            }
            else if (roll < 48)
            {
                await db.DeleteAsync(K(key), NoWait);
                model.Remove(key);
            }
            else if (roll < 60)
            {
                Assert.Equal(model.GetValueOrDefault(key), await db.GetAsync(K(key)));
            }
            else if (roll < 68)
            {
                await db.FlushAsync(FlushType.MemTable);
            }
            else if (roll < 76 && db.Engine.Manifest.Value.L0.Count > 0)
            {
                await RewriteL0Async(db, store, time, random.Next(db.Engine.Manifest.Value.L0.Count));
            }
            else if (roll < 80 && scans.Count < 3)
            {
                scans.Add((db.ScanAsync(KeyRange.All), [.. model], 0));
            }
            else if (roll < 92 && scans.Count > 0)
            {
                var at = random.Next(scans.Count);
                var (scan, expected, next) = scans[at];
                var done = false;
                for (var n = random.Next(1, 40); n > 0 && !done; n--, next++)
                {
                    var row = await scan.NextAsync();
                    if (next == expected.Count)
                    {
                        Assert.Null(row);
                        done = true;
                    }
                    else
                    {
                        Assert.True(row is not null, $"step {step}: the scan ended after {next} of {expected.Count} rows");
                        Assert.Equal(K(expected[next].Key), row!.Value.Key.ToArray());
                        Assert.Equal(expected[next].Value, row.Value.Value.ToArray());
                    }
                }

                if (done)
                {
                    await scan.DisposeAsync();
                    scans.RemoveAt(at);
                }
                else
                {
                    scans[at] = (scan, expected, next);
                }
            }
            else if (roll < 96)
            {
                await db.CreateCheckpointAsync(CheckpointScope.Durable, new CheckpointOptions { Lifetime = TimeSpan.FromSeconds(random.Next(1, 30)) });
            }
            else if (roll < 98)
            {
                // Reopen, with a collector of another process running through the close and the open.
                foreach (var (scan, _, _) in scans)
                {
                    await scan.DisposeAsync();
                }

                scans.Clear();
                await gc;
                var external = ExternalCollector(store, time);
                gc = Task.Run(() => external.RunAsync(NoMinAge, default));
                await db.CloseAsync();
                db = await OpenAsync(store, settings, time, seed: seed + step);
                collector = db.Engine.CreateCollector();
            }

            time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 2000)));
        }

        foreach (var (scan, _, _) in scans)
        {
            await scan.DisposeAsync();
        }

        await gc;
        Assert.True(collections >= 24, $"only {collections} collections ran");
        await db.CloseAsync();
        db = await OpenAsync(store, settings, time, seed: seed + 1000);
        await db.Engine.CreateCollector().RunAsync(NoMinAge, default);
        var all = new List<KeyValue>();
        await foreach (var row in db.ScanAsync(KeyRange.All))
        {
            all.Add(row);
        }

        Assert.Equal(model.Keys.Select(k => Convert.ToHexString(K(k))), all.Select(r => Convert.ToHexString(r.Key.Span)));
        Assert.Equal(model.Values.Select(Convert.ToHexString), all.Select(r => Convert.ToHexString(r.Value.Span)));
        await AssertReferencedObjectsExistAsync(store, db.Engine.Manifest);
        await db.CloseAsync();
    }

    private static GarbageCollector ExternalCollector(InMemoryObjectStore store, TimeProvider time)
    {
        var manifests = new ManifestStore(store, DbPath, time);
        return new GarbageCollector(store, store, manifests, GcManifestAccess.ForStore(manifests), time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, pins: null);
    }

    // Every SST the latest manifest or a checkpointed one names, and every WAL SST in their replay ranges, is still there.
    private static async Task AssertReferencedObjectsExistAsync(InMemoryObjectStore store, Versioned<SlateDb.Manifest.Proto.ManifestData> latest)
    {
        var paths = new DbPaths(DbPath);
        var manifests = new ManifestStore(store, DbPath);
        var pinned = new List<Versioned<SlateDb.Manifest.Proto.ManifestData>> { latest };
        foreach (var checkpoint in latest.Value.Checkpoints)
        {
            pinned.Add(await manifests.ReadAsync(checkpoint.ManifestId));
        }

        foreach (var manifest in pinned)
        {
            foreach (var handle in manifest.Value.L0.Concat(manifest.Value.SortedRuns.SelectMany(r => r.Ssts)))
            {
                Assert.True(await ExistsAsync(store, paths.CompactedSstPath(handle.Id.ToUlid())), $"manifest {manifest.Id}: SST {handle.Id.ToUlid()} is gone");
            }

            for (var id = manifest.Value.ReplayAfterWalId + 1; id < manifest.Value.NextWalSstId; id++)
            {
                Assert.True(await ExistsAsync(store, paths.WalSstPath(id)), $"manifest {manifest.Id}: WAL {id} is gone");
            }
        }
    }
}
