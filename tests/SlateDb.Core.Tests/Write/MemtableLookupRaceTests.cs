using System.Buffers.Binary;
using System.Collections.Concurrent;
using SlateDb.Format;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Write;

/// <summary>
/// A lookup must find a row that was in the memtable before the lookup began, however the write loop inserts
/// meanwhile: here three threads take turns (as writers do through the write loop's gate) inserting ascending keys
/// of their own ranges into small memtables, while two readers look up keys below the published seq. A lookup that
/// lands on a node inserted during its own search (a smaller key than the one it looks for) misses the row.
/// </summary>
public sealed class MemtableLookupRaceTests
{
    private sealed class Active
    {
        public required SlateDb.Memtables.Memtable Table { get; init; }
    }

    [Fact]
    public async Task Lookups_find_every_row_published_before_them_while_rows_are_inserted()
    {
        var gate = new Lock();
        var active = new Active { Table = new SlateDb.Memtables.Memtable() };
        var acknowledged = new long[120];
        long visible = 0;
        ulong seq = 0;
        var misses = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            for (var version = 1; version <= 200; version++)
            {
                for (var k = 0; k < 40; k++)
                {
                    var key = (w * 40) + k;
                    var value = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(value, version);
                    lock (gate)
                    {
                        active.Table.Add(new Row(K(key), ++seq, RowKind.Put, value, 0));
                        Volatile.Write(ref visible, (long)seq);
                        if (active.Table.Count >= 46)
                        {
                            Volatile.Write(ref active, new Active { Table = new SlateDb.Memtables.Memtable() });
                        }
                    }

                    Volatile.Write(ref acknowledged[key], version);
                }
            }
        })).ToArray();

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var key = random.Next(acknowledged.Length);
                var bound = (ulong)Volatile.Read(ref visible);
                var table = Volatile.Read(ref active).Table;
                if (!table.TryGet(K(key), bound, out var row))
                {
                    // Every row with seq <= bound was inserted before bound was published: a second, quiet lookup
                    // that finds one proves the first missed it.
                    if (table.TryGet(K(key), bound, out row) && row.Seq <= bound)
                    {
                        misses.Add($"key {key}: the lookup at seq {bound} missed the row at seq {row.Seq}");
                    }
                }
                else if (row.Seq > bound)
                {
                    misses.Add($"key {key}: the lookup at seq {bound} returned the newer row at seq {row.Seq}");
                }
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(misses.IsEmpty, $"{misses.Count} bad lookups, e.g.:\n{string.Join("\n", misses.Take(5))}");
    }
}
