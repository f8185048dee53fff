using System.Text;
using SlateDb.ObjectStore;
using Xunit;
using Xunit.Abstractions;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// Range deletes against a model: random range deletes of every shape interleaved with puts, deletes, batches,
/// snapshots, transactions, memtable flushes, compactions, reopens (WAL replay) and readers; every get, batched get,
/// scan and seek equals the model, and every snapshot keeps seeing what it saw when taken.
/// </summary>
public sealed class RangeDeleteModelTests(ITestOutputHelper output)
{
    private const string DbPath = "range-model";
    private const int Keys = 160;
    private const string Padding = "0123456789abcdefghijklmnopqrstuvwxyz";

    [Theory]
    [InlineData(1, 1500)]
    [InlineData(2, 1500)]
    [InlineData(3, 1500)]
    public async Task Random_range_deletes_match_the_model(int seed, int steps)
    {
        var random = new Random(seed);
        var store = new InMemoryObjectStore();
        var clock = Clock();
        var settings = SmallTables(seed);
        settings.Compactor = null;
        settings.ManifestPollInterval = TimeSpan.FromHours(1);
        var compactorSettings = SmallTables(seed);
        compactorSettings.Compactor = new CompactorSettings
        {
            L0CompactionThreshold = 2,
            MaxL0SstsPerCompaction = 4,
            MinSortedRunsToMerge = 2,
            MaxSortedRunsPerCompaction = 4,
            TargetSstSizeBytes = 4096,
            MaxSubcompactions = 2,
            PollInterval = TimeSpan.FromHours(1),
        };
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var snapshots = new List<(DbSnapshot Snapshot, SortedDictionary<string, string> Seen)>();
        var counts = new Dictionary<string, int>();
        var db = await OpenAsync(DbPath, store, settings: settings, time: clock, seed: seed);
        Compactor? compactor = null;
        try
        {
            for (var step = 0; step < steps; step++)
            {
                var roll = random.Next(100);
                string op;
                if (roll < 28)
                {
                    op = "put";
                    var key = RandomKey(random);
                    var value = $"v{step}-{Padding}";
                    await db.PutAsync(key, value, NoWait);
                    model[key] = value;
                }
                else if (roll < 34)
                {
                    op = "delete";
                    var key = RandomKey(random);
                    await db.DeleteAsync(key, NoWait);
                    model.Remove(key);
                }
                else if (roll < 41)
                {
                    op = "delete range";
                    var range = RandomRange(random);
                    await db.DeleteRangeAsync(range, NoWait);
                    Apply(model, range);
                }
                else if (roll < 46)
                {
                    op = "batch";
                    using var batch = new WriteBatch();
                    var pending = new List<Action<SortedDictionary<string, string>>>();
                    for (var i = random.Next(1, 6); i > 0; i--)
                    {
                        var kind = random.Next(3);
                        if (kind == 0)
                        {
                            var key = RandomKey(random);
                            var value = $"b{step}-{i}";
                            batch.Put(key, value);
                            pending.Add(m => m[key] = value);
                        }
                        else if (kind == 1)
                        {
                            var key = RandomKey(random);
                            batch.Delete(key);
                            pending.Add(m => m.Remove(key));
                        }
                        else
                        {
                            var range = RandomRange(random);
                            batch.DeleteRange(range);
                            pending.Add(m => Apply(m, range));
                        }
                    }

                    await db.WriteAsync(batch, NoWait);
                    pending.ForEach(change => change(model));
                }
                else if (roll < 58)
                {
                    op = "get";
                    var key = RandomKey(random);
                    Assert.Equal(model.GetValueOrDefault(key), Text(await db.GetAsync(key)));
                }
                else if (roll < 62)
                {
                    op = "get many";
                    var keys = Enumerable.Range(0, random.Next(1, 12)).Select(_ => RandomKey(random)).ToList();
                    await AssertGetManyAsync(model, keys, await db.GetManyAsync(keys.Select(k => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(k)).ToList()));
                }
                else if (roll < 68)
                {
                    op = "scan";
                    await AssertScanAsync(model, random, (r, o) => db.ScanAsync(r, o));
                }
                else if (roll < 73)
                {
                    op = "snapshot";
                    if (snapshots.Count < 3 && random.Next(2) == 0)
                    {
                        snapshots.Add((db.Snapshot(), new SortedDictionary<string, string>(model, StringComparer.Ordinal)));
                    }
                    else if (snapshots.Count > 0)
                    {
                        var index = random.Next(snapshots.Count);
                        var (snapshot, seen) = snapshots[index];
                        var key = RandomKey(random);
                        Assert.Equal(seen.GetValueOrDefault(key), Text(await snapshot.GetAsync(key)));
                        await AssertScanAsync(seen, random, (r, o) => snapshot.ScanAsync(r, o));
                        if (random.Next(2) == 0)
                        {
                            await snapshot.DisposeAsync();
                            snapshots.RemoveAt(index);
                        }
                    }
                }
                else if (roll < 76)
                {
                    op = "transaction";
                    await using var tx = db.BeginTransaction();
                    var key = RandomKey(random);
                    Assert.Equal(model.GetValueOrDefault(key), Text(await tx.GetAsync(key)));
                    var value = $"t{step}";
                    tx.Put(key, value);
                    await AssertScanAsync(new SortedDictionary<string, string>(model, StringComparer.Ordinal) { [key] = value }, random, (r, o) => tx.ScanAsync(r, o));
                    await tx.CommitAsync(NoWait);
                    model[key] = value;
                }
                else if (roll < 86)
                {
                    op = "flush memtable";
                    await db.FlushAsync(FlushType.MemTable);
                }
                else if (roll < 92)
                {
                    op = "compact";
                    await db.FlushAsync(FlushType.MemTable);
                    compactor ??= await Compactor.OpenAsync(DbPath, store, compactorSettings, clock);
                    await compactor.CompactAsync();
                }
                else if (roll < 96)
                {
                    op = "reopen";
                    foreach (var (snapshot, _) in snapshots)
                    {
                        await snapshot.DisposeAsync();
                    }

                    snapshots.Clear();
                    await db.FlushAsync();
                    await db.DisposeAsync();
                    db = await OpenAsync(DbPath, store, settings: settings, time: clock, seed: seed + step);
                    await AssertScanAsync(model, random, (r, o) => db.ScanAsync(r, o), KeyRange.All);
                }
                else
                {
                    op = "reader";
                    await db.FlushAsync();
                    await using var reader = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { TimeProvider = clock, Seed = seed });
                    await AssertScanAsync(model, random, (r, o) => reader.ScanAsync(r, o), KeyRange.All);
                    var keys = Enumerable.Range(0, 8).Select(_ => RandomKey(random)).ToList();
                    await AssertGetManyAsync(model, keys, await reader.GetManyAsync(keys.Select(k => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(k)).ToList()));
                    Assert.Equal(model.GetValueOrDefault(keys[0]), Text(await reader.GetAsync(keys[0])));
                }

                counts[op] = counts.GetValueOrDefault(op) + 1;
            }

            await AssertScanAsync(model, random, (r, o) => db.ScanAsync(r, o), KeyRange.All);
        }
        finally
        {
            foreach (var (snapshot, _) in snapshots)
            {
                await snapshot.DisposeAsync();
            }

            await db.DisposeAsync();
            if (compactor is not null)
            {
                await compactor.DisposeAsync();
            }
        }

        output.WriteLine(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(counts.GetValueOrDefault("compact") > 0 && counts.GetValueOrDefault("reopen") > 0 && counts.GetValueOrDefault("delete range") > 10);
    }

    [Fact]
    public async Task An_empty_or_inverted_range_is_refused_naming_both_bounds()
    {
        await using var db = await OpenAsync(DbPath, new InMemoryObjectStore());
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => db.DeleteRangeAsync(KeyRange.Between("k5", "k5")));
        Assert.Contains(Convert.ToHexString(Encoding.UTF8.GetBytes("k5")), empty.Message);
        Assert.Equal("range", empty.ParamName);
        var inverted = Assert.Throws<ArgumentException>(() => KeyRange.Between("k9", "k1"));
        Assert.Contains(Convert.ToHexString(Encoding.UTF8.GetBytes("k9")), inverted.Message);
        Assert.Contains(Convert.ToHexString(Encoding.UTF8.GetBytes("k1")), inverted.Message);
        using var batch = new WriteBatch();
        Assert.Throws<ArgumentException>(() => batch.DeleteRange(KeyRange.Between("k5", "k5")));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public async Task In_a_batch_a_range_delete_drops_earlier_operations_in_its_range_and_later_ones_win()
    {
        await using var db = await OpenAsync(DbPath, new InMemoryObjectStore());
        await db.PutAsync("a", "old", NoWait);
        await db.PutAsync("c", "old", NoWait);
        await db.PutAsync("z", "old", NoWait);
        using var batch = new WriteBatch()
            .Put("b", "before")
            .DeleteRange(KeyRange.Between("a", "y"))
            .Put("c", "after")
            .Put("a", "after");
        Assert.Equal(3, batch.Count);
        await db.WriteAsync(batch, NoWait);

        Assert.Equal("after", Text(await db.GetAsync("a")));
        Assert.Null(await db.GetAsync("b"));
        Assert.Equal("after", Text(await db.GetAsync("c")));
        Assert.Equal("old", Text(await db.GetAsync("z")));
    }

    private static string RandomKey(Random random) => $"k{random.Next(Keys):D3}";

    private static KeyRange RandomRange(Random random)
    {
        switch (random.Next(10))
        {
            case 0:
                return KeyRange.From(RandomKey(random));
            case 1:
                return KeyRange.Prefix($"k{random.Next(2):D1}{random.Next(10)}");
            case 2:
                return random.Next(4) == 0 ? KeyRange.All : KeyRange.Prefix("k0");
            default:
                var a = random.Next(Keys);
                var b = Math.Min(Keys, a + 1 + random.Next(20));
                return KeyRange.Between($"k{a:D3}", $"k{b:D3}");
        }
    }

    private static void Apply(SortedDictionary<string, string> model, KeyRange range)
    {
        foreach (var key in model.Keys.Where(k => range.Contains(Encoding.UTF8.GetBytes(k))).ToList())
        {
            model.Remove(key);
        }
    }

    private static Task AssertGetManyAsync(SortedDictionary<string, string> model, List<string> keys, byte[]?[] values)
    {
        Assert.Equal(keys.Select(k => model.GetValueOrDefault(k)), values.Select(Text));
        return Task.CompletedTask;
    }

    // Scans a random range (or `fixedRange`), seeking to a random key in it first half the time.
    private static async Task AssertScanAsync(
        SortedDictionary<string, string> model, Random random, Func<KeyRange, ReadOptions?, DbIterator> scan, KeyRange? fixedRange = null)
    {
        var range = fixedRange ?? RandomRange(random);
        var expected = model.Where(e => range.Contains(Encoding.UTF8.GetBytes(e.Key))).ToList();
        await using var iterator = scan(range, null);
        string? seek = null;
        if (fixedRange is null && random.Next(2) == 0)
        {
            var candidate = RandomKey(random);
            if (range.Contains(Encoding.UTF8.GetBytes(candidate)))
            {
                seek = candidate;
                await iterator.SeekAsync(Encoding.UTF8.GetBytes(candidate));
                expected = expected.Where(e => string.CompareOrdinal(e.Key, candidate) >= 0).ToList();
            }
        }

        var actual = new List<KeyValuePair<string, string>>();
        while (await iterator.NextAsync() is { } kv)
        {
            actual.Add(new(Text(kv.Key.ToArray())!, Text(kv.Value.ToArray())!));
        }

        Assert.True(expected.SequenceEqual(actual), $"scan {range} (seek {seek ?? "none"}): expected [{string.Join(",", expected.Select(e => e.Key))}], got [{string.Join(",", actual.Select(e => e.Key))}]");
    }

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);
}
