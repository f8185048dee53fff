using System.Globalization;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Admin;
using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Reliability.Tests.Concurrency;

/// <summary>
/// Eight writers, four readers, memtable flushes and a compactor on one database for a fixed number of operations.
/// Every read is checked against the write history per key (<see cref="History"/>); batches write one token to every
/// key of a group, so a snapshot, a multi-get or a scan must see the whole group with one token (or all absent).
/// Seeds fix each actor's operations; the interleaving varies from run to run, the check is exact for any of them.
/// </summary>
public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    private const int Writers = 8;
    private const int Readers = 4;
    private const int WritesPerWriter = 120;
    private const int ReadsPerReader = 150;
    private const int SoloKeys = 12;
    private const int Groups = 4;
    private const int GroupSize = 3;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Concurrent_readers_see_a_linearizable_history_and_whole_batches_while_writers_flush_and_compact(int seed)
    {
        var store = new InMemoryObjectStore();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var settings = new Settings
        {
            L0SstSizeBytes = 2048,
            BlockSize = 512,
            MinFilterKeys = 2,
            L0MaxSsts = 10_000,   // the writer learns of compactions only when it next writes the manifest
            Compactor = new CompactorSettings { L0CompactionThreshold = 2, MinSortedRunsToMerge = 2, MaxSortedRunsPerCompaction = 4, TargetSstSizeBytes = 4096 },
            Gc = null,
        };
        var history = new History();
        await using var db = await Db.Builder("concurrent", store).WithSettings(WriterOnly(settings)).WithTimeProvider(time).WithSeed(seed).BuildAsync();
        await using var compactor = await Compactor.OpenAsync("concurrent", store, settings, time);

        using var writersDone = new CancellationTokenSource();
        using var flushDue = new SemaphoreSlim(0);
        var progress = new WriteProgress();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriterAsync(db, history, progress, flushDue, seed * 100 + w, w))).ToArray();
        var readers = Enumerable.Range(0, Readers).Select(r => Task.Run(() => ReaderAsync(db, history, progress, seed * 1000 + r, r))).ToArray();
        var compactions = Task.Run(() => CompactAsync(db, compactor, flushDue, writersDone.Token));

        await Guard.Within(Task.WhenAll(writers), "the writers");
        await Guard.Within(Task.WhenAll(readers), "the readers");
        await writersDone.CancelAsync();
        var (flushes, compactionRounds) = await Guard.Within(compactions, "the compaction actor");

        // A last scan after everything: each key holds a write that nothing completed after.
        await ScanAsync(db, history, reader: Readers, "final scan");
        var problems = history.Check();
        output.WriteLine($"seed {seed}: {history.WriteCount} key writes, {history.ReadCount} key reads, {flushes} memtable flushes, {compactionRounds} compaction rounds");
        Assert.True(problems.Count == 0, $"seed {seed}: {problems.Count} violations:\n{string.Join("\n", problems.Take(20))}");
        var manifest = await new DbAdmin("concurrent", store).ReadManifestAsync();
        Assert.True(manifest.SortedRuns.Count > 0, $"The compactor made no sorted run in {compactionRounds} rounds after {flushes} flushes.");
    }

    private static Settings WriterOnly(Settings settings)
    {
        var writer = settings.Clone();
        writer.Compactor = null;   // compaction runs in the standalone compactor, driven without a clock
        return writer;
    }

    private static string Solo(int i) => "solo-" + i.ToString("D2", CultureInfo.InvariantCulture);

    private static string GroupKey(int group, int i) => $"group-{group}-{i}";

    private static async Task WriterAsync(Db db, History history, WriteProgress progress, SemaphoreSlim flushDue, int seed, int writer)
    {
        var random = new Random(seed);
        for (var n = 0; n < WritesPerWriter; n++)
        {
            if (n % 20 == 19)
            {
                flushDue.Release();
            }

            var token = $"w{writer}-{n}";
            var roll = random.Next(100);
            if (roll < 60)
            {
                var key = Solo(random.Next(SoloKeys));
                var delete = roll >= 48;
                var invoked = history.Tick();
                var handle = delete ? await db.DeleteAsync(key) : await db.PutAsync(key, token);
                history.Wrote(new WriteEvent(key, delete ? null : token, invoked, history.Tick(), handle.Seq, delete ? "delete" : "put"));
                progress.Advance();
            }
            else
            {
                var group = random.Next(Groups);
                var delete = roll >= 92;
                using var batch = new WriteBatch();
                for (var i = 0; i < GroupSize; i++)
                {
                    _ = delete ? batch.Delete(GroupKey(group, i)) : batch.Put(GroupKey(group, i), token);
                }

                var invoked = history.Tick();
                var handle = await db.WriteAsync(batch);
                var answered = history.Tick();
                for (var i = 0; i < GroupSize; i++)
                {
                    history.Wrote(new WriteEvent(GroupKey(group, i), delete ? null : token, invoked, answered, handle.Seq, delete ? "batch delete" : "batch put"));
                }

                progress.Advance();
            }
        }
    }

    private static async Task ReaderAsync(Db db, History history, WriteProgress progress, int seed, int reader)
    {
        var random = new Random(seed);
        for (var n = 0; n < ReadsPerReader; n++)
        {
            // Spread the reads over the whole run: read n waits for its share of the writes.
            await progress.WhenAtLeast(n * Writers * WritesPerWriter / ReadsPerReader);
            switch (random.Next(10))
            {
                case < 5:
                    var key = random.Next(3) == 0 ? GroupKey(random.Next(Groups), random.Next(GroupSize)) : Solo(random.Next(SoloKeys));
                    var invoked = history.Tick();
                    var value = await db.GetAsync(key);
                    history.Read(new ReadEvent(reader, key, Text(value), invoked, history.Tick(), null, "get"));
                    break;
                case < 7:
                    await SnapshotAsync(db, history, reader, random.Next(Groups));
                    break;
                case < 8:
                    await GetManyAsync(db, history, reader, random.Next(Groups));
                    break;
                default:
                    await ScanAsync(db, history, reader, "scan");
                    break;
            }
        }
    }

    private static async Task SnapshotAsync(Db db, History history, int reader, int group)
    {
        var invoked = history.Tick();
        await using var snapshot = db.Snapshot();
        var values = new string?[GroupSize];
        for (var i = 0; i < GroupSize; i++)
        {
            values[i] = Text(await snapshot.GetAsync(GroupKey(group, i)));
        }

        var answered = history.Tick();
        RecordGroup(history, reader, group, values, invoked, answered, $"snapshot@{snapshot.Seq}");
    }

    private static async Task GetManyAsync(Db db, History history, int reader, int group)
    {
        var keys = Enumerable.Range(0, GroupSize).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(GroupKey(group, i))).ToList();
        var invoked = history.Tick();
        var values = await db.GetManyAsync(keys);
        RecordGroup(history, reader, group, [.. values.Select(Text)], invoked, history.Tick(), "get-many");
    }

    private static void RecordGroup(History history, int reader, int group, string?[] values, long invoked, long answered, string op)
    {
        if (values.Distinct().Count() != 1)
        {
            throw new InvalidOperationException($"A {op} saw a partial batch in group {group}: {string.Join(", ", values.Select(v => v ?? "absent"))}");
        }

        for (var i = 0; i < GroupSize; i++)
        {
            history.Read(new ReadEvent(reader, GroupKey(group, i), values[i], invoked, answered, null, op));
        }
    }

    private static async Task ScanAsync(Db db, History history, int reader, string op)
    {
        var invoked = history.Tick();
        var rows = new List<KeyValue>();
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            rows.Add(kv);
        }

        var answered = history.Tick();
        var seen = new Dictionary<string, KeyValue>(StringComparer.Ordinal);
        string? previous = null;
        foreach (var kv in rows)
        {
            var key = Encoding.UTF8.GetString(kv.Key.Span);
            if (previous is not null && string.CompareOrdinal(previous, key) >= 0)
            {
                throw new InvalidOperationException($"A scan returned {key} after {previous}: out of order or duplicated.");
            }

            previous = key;
            seen[key] = kv;
        }

        for (var group = 0; group < Groups; group++)
        {
            var g = group;
            var values = Enumerable.Range(0, GroupSize).Select(i => seen.TryGetValue(GroupKey(g, i), out var kv) ? Encoding.UTF8.GetString(kv.Value.Span) : null).ToArray();
            RecordGroup(history, reader, group, values, invoked, answered, op);
        }

        for (var i = 0; i < SoloKeys; i++)
        {
            var found = seen.TryGetValue(Solo(i), out var kv);
            history.Read(new ReadEvent(reader, Solo(i), found ? Encoding.UTF8.GetString(kv.Value.Span) : null, invoked, answered, found ? kv.Seq : null, op));
        }
    }

    // Each time a writer asks (every 20 of its writes), flushes the memtable and compacts until idle.
    private static async Task<(int Flushes, int Compactions)> CompactAsync(Db db, Compactor compactor, SemaphoreSlim flushDue, CancellationToken stop)
    {
        var flushes = 0;
        var rounds = 0;
        while (true)
        {
            try
            {
                await flushDue.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            await db.FlushAsync(FlushType.MemTable, CancellationToken.None);
            flushes++;
            await compactor.CompactAsync(CancellationToken.None);
            rounds++;
        }

        return (flushes, rounds);
    }

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);
}
