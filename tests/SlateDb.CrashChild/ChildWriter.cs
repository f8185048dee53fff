using System.Globalization;

namespace SlateDb.CrashChild;

/// <summary>
/// The child side of the kill test: opens the database and writes until it is killed, reporting on standard output
/// each write before it is issued (<c>begin N op .</c>) and after it is acknowledged durable (<c>ack N seq .</c>).
/// </summary>
/// <remarks>
/// Console output is synchronized and flushed on every line, and each line is one write(2) of well under PIPE_BUF
/// bytes, so a line the parent reads was written whole before anything that follows it happened; the trailing
/// <c>.</c> still lets the parent reject a torn last line. A <c>begin</c> line is complete before its write is
/// issued, so every write the kill interrupted is announced, and the parent treats it as in doubt. With several
/// writers, their durable writes share WAL objects (group commit).
/// </remarks>
public static class ChildWriter
{
    /// <summary>Writes forever (until killed) from <paramref name="writers"/> concurrent loops; now and then a WAL or memtable flush.</summary>
    public static async Task RunAsync(CrashDatabase database, long seed, int round, int writers)
    {
        await using var db = await database.OpenAsync(CrashDatabase.WriterSettings(), seed).ConfigureAwait(false);
        Console.Out.WriteLine("open .");
        long next = -1;
        var loops = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(unchecked((int)seed + w * 7919));
            while (true)
            {
                var roll = random.Next(100);
                if (roll < 3)
                {
                    await db.FlushAsync(FlushType.MemTable).ConfigureAwait(false);
                    continue;
                }

                if (roll < 6)
                {
                    await db.FlushAsync(FlushType.Wal).ConfigureAwait(false);
                    continue;
                }

                var n = Interlocked.Increment(ref next);
                var op = ChildOp.Next(random, CrashDatabase.KeyCount, round, n);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"begin {n} {op.Encode()} ."));
                var seq = await op.ApplyAsync(db).ConfigureAwait(false);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ack {n} {seq} ."));
            }
        }));
        await Task.WhenAll(loops).ConfigureAwait(false);
    }
}
