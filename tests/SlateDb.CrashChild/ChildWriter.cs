using System.Globalization;

namespace SlateDb.CrashChild;

/// <summary>
/// The child side of the kill test: opens the database and writes until it is killed, reporting on standard output
/// each write before it is issued (<c>begin N op .</c>) and after it is acknowledged durable (<c>ack N .</c>).
/// </summary>
/// <remarks>
/// Console output is flushed on every line, and each line is one write(2) of well under PIPE_BUF bytes, so a line the
/// parent reads was written whole before anything that follows it happened; the trailing <c>.</c> still lets the
/// parent reject a torn last line. A <c>begin</c> line is complete before its write is issued, so a write the kill
/// interrupted is always announced, and the parent treats it as in doubt.
/// </remarks>
public static class ChildWriter
{
    /// <summary>Writes forever (until killed) with the given seed; every few writes a WAL or memtable flush.</summary>
    public static async Task RunAsync(CrashDatabase database, long seed, int round)
    {
        await using var db = await database.OpenAsync(CrashDatabase.WriterSettings(), seed).ConfigureAwait(false);
        var output = Console.Out;
        output.WriteLine("open .");
        var random = new Random((int)seed);
        for (long n = 0; ; n++)
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

            var op = ChildOp.Next(random, CrashDatabase.KeyCount, round, n);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"begin {n} {op.Encode()} ."));
            await op.ApplyAsync(db).ConfigureAwait(false);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ack {n} ."));
        }
    }
}
