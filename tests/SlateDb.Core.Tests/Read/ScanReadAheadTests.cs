using SlateDb.Core.Tests.Format;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Read;

/// <summary>Scans of a database whose SSTs are read ahead (<see cref="Settings.ScanReadAheadBytes"/>).</summary>
public class ScanReadAheadTests
{
    private const int Keys = 4000;

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    [InlineData(64 * 1024)]
    public async Task Concurrent_scans_of_several_overlapping_tables_return_what_a_model_says(long readAheadBytes)
    {
        // Four L0 tables, each rewriting a different share of the keys, small blocks: every scan merges four sources that
        // share one read-ahead budget, and GETs complete on other threads in any order.
        var store = new YieldingObjectStore(new InMemoryObjectStore());
        var settings = new Settings
        {
            ManifestPollInterval = TimeSpan.FromHours(1),
            Compactor = null,
            BlockSize = 512,
            ScanReadAheadBytes = readAheadBytes,
            BlockCacheBytes = 256 * 1024,
        };
        var model = new SortedDictionary<int, byte[]>();
        await using var db = await OpenAsync(store, settings);
        for (var version = 1; version <= 4; version++)
        {
            for (var i = 0; i < Keys; i += version)
            {
                await db.PutAsync(K(i), V(i, version), NoWait);
                model[i] = V(i, version);
            }

            await db.FlushAsync(FlushType.MemTable);
        }

        var failures = await Task.WhenAll(Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            for (var scan = 0; scan < 12; scan++)
            {
                var from = random.Next(Keys);
                var to = scan % 4 == 0 ? Keys : Math.Min(Keys, from + random.Next(1, 400));
                var expected = model.Where(kv => kv.Key >= from && kv.Key < to).ToList();
                var actual = new List<KeyValue>();
                await using (var iterator = db.ScanAsync(KeyRange.Between(K(from), K(to))))
                {
                    while (await iterator.NextAsync() is { } kv)
                    {
                        actual.Add(kv);
                    }
                }

                if (actual.Count != expected.Count)
                {
                    return $"client {client} scan {scan} [{from}, {to}): {actual.Count} rows, expected {expected.Count}";
                }

                for (var i = 0; i < actual.Count; i++)
                {
                    if (!actual[i].Key.Span.SequenceEqual(K(expected[i].Key)) || !actual[i].Value.Span.SequenceEqual(expected[i].Value))
                    {
                        return $"client {client} scan {scan} [{from}, {to}): row {i} differs";
                    }
                }
            }

            return null;
        })));

        Assert.All(failures, Assert.Null);
    }

    [Fact]
    public async Task A_store_outage_while_reading_ahead_is_the_scans_Unavailable_error()
    {
        var store = new GatedObjectStore(new InMemoryObjectStore()) { AutoRelease = true };
        await using var db = await OpenAsync(store, new Settings { ManifestPollInterval = TimeSpan.FromHours(1), Compactor = null, BlockSize = 512 });
        for (var i = 0; i < Keys; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        await db.FlushAsync(FlushType.MemTable);

        await using var scan = db.ScanAsync(KeyRange.All);
        Assert.NotNull(await scan.NextAsync());

        // Past the first block, every ranged GET fails: the next read the scan needs from the store raises it.
        var outage = new ObjectStoreException("db/compacted/x.sst", store.Uri, "outage", isTransient: false);
        store.Fail = r => r.Offset > 0 ? outage : null;
        var e = await Assert.ThrowsAsync<SlateDbException>(async () =>
        {
            while (await scan.NextAsync() is not null)
            {
            }
        });

        Assert.Equal(SlateDbErrorKind.Unavailable, e.Kind);
        Assert.Same(outage, e.InnerException);
    }

    [Fact]
    public void The_read_ahead_setting_is_validated()
    {
        var e = Assert.Throws<ArgumentException>(() => new Settings { ScanReadAheadBytes = -1 }.Validate());
        Assert.Contains(nameof(Settings.ScanReadAheadBytes), e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Settings { ScanReadAheadBytes = (1L << 30) + 1 }.Validate());
        new Settings { ScanReadAheadBytes = 0 }.Validate();
        Assert.Equal(8L << 20, new Settings().ScanReadAheadBytes);
    }

    // Completes every GET on a thread-pool thread, so read-ahead requests finish concurrently and in any order.
    private sealed class YieldingObjectStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public override async Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return await base.GetAsync(path, range, cancellationToken).ConfigureAwait(false);
        }
    }
}
