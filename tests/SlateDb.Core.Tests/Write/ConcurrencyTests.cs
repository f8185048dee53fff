using System.Buffers.Binary;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Write;

/// <summary>
/// Writers, readers, scans and flushes at once, on tiny memtables so data keeps moving from the memtable to frozen
/// memtables to L0 while it is read. Each writer owns its keys and writes increasing versions; a reader must never see
/// a key's version go backwards or miss a write whose call returned, and a scan must be ordered.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Writers = 3;
    private const int KeysPerWriter = 40;
    private const int Versions = 60;

    [Fact]
    public async Task Reads_never_go_back_in_time_while_data_moves_to_l0()
    {
        const int seed = 2024;
        // Data moves memtable → L0 only (compaction, which moves it on into sorted runs, has its own concurrency tests).
        var settings = new Settings { L0SstSizeBytes = 2048, BlockSize = 512, MinFilterKeys = 4, ManifestPollInterval = TimeSpan.FromHours(1), Compactor = null };
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, settings, seed: seed);
        var acknowledged = new long[Writers * KeysPerWriter];   // highest version whose put returned, per key
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            for (var version = 1; version <= Versions; version++)
            {
                for (var k = 0; k < KeysPerWriter; k++)
                {
                    var key = w * KeysPerWriter + k;
                    await db.PutAsync(K(key), Value(version), NoWait);
                    Volatile.Write(ref acknowledged[key], version);
                }

                if (random.Next(10) == 0)
                {
                    await db.FlushAsync(random.Next(2) == 0 ? FlushType.Wal : FlushType.MemTable);
                }
            }
        })).ToArray();

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
        {
            var random = new Random(seed * 31 + r);
            var seen = new long[acknowledged.Length];
            var checks = 0;
            while (!stop.IsCancellationRequested || checks == 0)
            {
                var key = random.Next(acknowledged.Length);
                var floor = Volatile.Read(ref acknowledged[key]);
                var value = await db.GetAsync(K(key));
                var version = value is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(value);
                Assert.True(version >= floor, $"seed {seed}: key {key} read version {version} after version {floor} was acknowledged");
                Assert.True(version >= seen[key], $"seed {seed}: key {key} went back from version {seen[key]} to {version}");
                seen[key] = version;
                if (++checks % 200 == 0)
                {
                    await AssertScanOrderedAsync(db, seed);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));

        await db.FlushAsync(FlushType.MemTable);
        Assert.True((await LatestManifestAsync(store)).Value.L0.Count > 3, "The test should have produced several L0 SSTs.");
        for (var key = 0; key < acknowledged.Length; key++)
        {
            Assert.Equal(Value(Versions), await db.GetAsync(K(key)));
        }
    }

    private static byte[] Value(long version)
    {
        var value = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(value, version);
        return value;
    }

    private static async Task AssertScanOrderedAsync(SlateDb.Db db, int seed)
    {
        byte[]? previous = null;
        var count = 0;
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            Assert.True(previous is null || previous.AsSpan().SequenceCompareTo(kv.Key.Span) < 0, $"seed {seed}: the scan is out of order");
            previous = kv.Key.ToArray();
            count++;
        }

        Assert.True(count <= Writers * KeysPerWriter, $"seed {seed}: the scan returned {count} keys");
    }
}
