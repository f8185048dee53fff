using System.Text;
using SlateDb.Format;
using SlateDb.Read;
using Xunit;
using Table = SlateDb.Memtables.Memtable;

namespace SlateDb.Core.Tests.Memtables;

public class MemtableConcurrencyTests
{
    private const int Inserts = 200_000;
    private const int KeySpace = 20_000;

    [Fact]
    public async Task Readers_always_see_a_sorted_fully_written_view_while_the_writer_inserts()
    {
        const int Seed = 4242;
        var table = new Table(chunkSizeBytes: 64 * 1024);

        // keyOfSeq[s] is written before row s is added, so a reader that sees row s also sees its entry.
        var keyOfSeq = new int[Inserts + 1];
        var published = 0; // rows whose Add has returned
        var done = false;

        var writer = Task.Run(() =>
        {
            var random = new Random(Seed);
            for (var seq = 1; seq <= Inserts; seq++)
            {
                var k = random.Next(KeySpace);
                keyOfSeq[seq] = k;
                table.Add(MakeRow(k, (ulong)seq));
                Volatile.Write(ref published, seq);
            }

            Volatile.Write(ref done, true);
        });

        // Reader 1 scans, seeks and reads points; reader 2 mostly chases the row being inserted.
        var readers = Enumerable.Range(1, 2).Select(r => Task.Run(async () =>
        {
            var random = new Random(Seed + r);
            var rounds = 0;
            while (true)
            {
                var finished = Volatile.Read(ref done);
                if (r == 1)
                {
                    await CheckScanAsync(table, keyOfSeq, Volatile.Read(ref published), Seed);
                    await CheckSeekAsync(table, keyOfSeq, random, Seed);
                }
                else
                {
                    ChaseTheWriter(table, keyOfSeq, ref published, Seed);
                }

                CheckPointReads(table, keyOfSeq, Volatile.Read(ref published), random, Seed);
                rounds++;
                if (finished)
                {
                    return rounds;
                }
            }
        })).ToList();

        await writer;
        var rounds = await Task.WhenAll(readers);
        Assert.All(rounds, n => Assert.True(n >= 1));
        Assert.Equal(Inserts, table.Count);
        Assert.Equal(Inserts, await CheckScanAsync(table, keyOfSeq, Inserts, Seed));
    }

    private static Row MakeRow(int k, ulong seq)
    {
        var kind = seq % 11 == 0 ? RowKind.Delete : RowKind.Put;
        // Mostly short values; every 16th is long, which widens the window in which a row published too early
        // would be seen half-copied.
        var value = kind == RowKind.Delete ? [] : new byte[seq % 16 == 0 ? 2048 : (int)(seq % 50)];
        for (var j = 0; j < value.Length; j++)
        {
            value[j] = (byte)((seq * 7) + (ulong)j);
        }

        return new Row(Key(k), seq, kind, value, createTs: (long)seq * 3, expireTs: (long)seq * 5);
    }

    private static byte[] Key(int k) => Encoding.ASCII.GetBytes($"key{k:D6}");

    // Every field of the row is what the writer wrote for its seq.
    private static void CheckRow(Row row, int[] keyOfSeq, int seed)
    {
        var expected = MakeRow(keyOfSeq[row.Seq], row.Seq);
        if (!row.Key.Span.SequenceEqual(expected.Key.Span) || row.Kind != expected.Kind
            || !row.Value.Span.SequenceEqual(expected.Value.Span) || row.CreateTs != expected.CreateTs
            || row.ExpireTs != expected.ExpireTs)
        {
            Assert.Fail($"torn or wrong row {row} (seed {seed})");
        }
    }

    // A full scan is strictly ordered, holds only fully written rows, and holds every row published before it began.
    private static async Task<int> CheckScanAsync(Table table, int[] keyOfSeq, int publishedBefore, int seed)
    {
        var iterator = table.CreateIterator(KeyRange.All);
        var previousKey = Array.Empty<byte>();
        var previousSeq = 0UL;
        var count = 0;
        var seenPublished = 0;
        while (await iterator.MoveNextAsync())
        {
            var row = iterator.Current;
            if (count > 0 && RowOrder.Compare(previousKey, previousSeq, row.Key.Span, row.Seq) >= 0)
            {
                Assert.Fail($"order broken after {Encoding.ASCII.GetString(previousKey)}@{previousSeq}: {row} (seed {seed})");
            }

            CheckRow(row, keyOfSeq, seed);
            if (row.Seq <= (ulong)publishedBefore)
            {
                seenPublished++;
            }

            previousKey = row.Key.ToArray();
            previousSeq = row.Seq;
            count++;
        }

        Assert.True(seenPublished == publishedBefore, $"scan saw {seenPublished} of the {publishedBefore} rows published before it (seed {seed})");
        return count;
    }

    // TryGet(key of s, s) finds exactly row s once s is published.
    private static void CheckPointReads(Table table, int[] keyOfSeq, int publishedBefore, Random random, int seed)
    {
        if (publishedBefore == 0)
        {
            return;
        }

        for (var i = 0; i < 200; i++)
        {
            var seq = (ulong)random.Next(1, publishedBefore + 1);
            if (!table.TryGet(Key(keyOfSeq[seq]), seq, out var row) || row.Seq != seq)
            {
                Assert.Fail($"TryGet of published seq {seq} failed (seed {seed})");
            }

            CheckRow(row, keyOfSeq, seed);
        }
    }

    // Reads the key the writer is inserting right now, to catch a row that is visible before it is fully written.
    private static void ChaseTheWriter(Table table, int[] keyOfSeq, ref int published, int seed)
    {
        for (var i = 0; i < 20_000; i++)
        {
            var next = Volatile.Read(ref published) + 1;
            if (next > Inserts)
            {
                return;
            }

            if (table.TryGet(Key(keyOfSeq[next]), ulong.MaxValue, out var row))
            {
                CheckRow(row, keyOfSeq, seed);
            }
        }
    }

    // A seek lands on the first key at or after the target, and what follows is ordered.
    private static async Task CheckSeekAsync(Table table, int[] keyOfSeq, Random random, int seed)
    {
        var iterator = table.CreateIterator(KeyRange.All);
        var target = Key(random.Next(KeySpace));
        await iterator.SeekAsync(target);
        var previous = target;
        for (var i = 0; i < 100 && await iterator.MoveNextAsync(); i++)
        {
            var row = iterator.Current;
            if (row.Key.Span.SequenceCompareTo(previous) < 0)
            {
                Assert.Fail($"after seeking to {Encoding.ASCII.GetString(target)}: {row} (seed {seed})");
            }

            CheckRow(row, keyOfSeq, seed);
            previous = row.Key.ToArray();
        }
    }
}
