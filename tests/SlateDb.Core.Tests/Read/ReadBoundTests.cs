using SlateDb.Read;
using Xunit;
using SlateDb.Core.Tests.Db;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Read;

/// <summary>
/// A read at the visible seq pairs its bound with a read state that was current when the bound was read: a memtable
/// flushed between the two (keeping only the newest version of a key) must not hide a version the bound should see.
/// </summary>
public sealed class ReadBoundTests
{
    [Fact]
    public async Task A_get_whose_bound_is_read_just_before_a_flush_still_finds_the_key()
    {
        await using var race = await FlushRace.OpenAsync();
        var value = await DbReads.GetAsync(race.Db.Engine, K(1), race.Bound, default);
        Assert.Equal(V(1, 2), value);
        Assert.Equal(2, race.Reads);
    }

    [Fact]
    public async Task A_batched_get_whose_bound_is_read_just_before_a_flush_still_finds_the_key()
    {
        await using var race = await FlushRace.OpenAsync();
        var values = await DbReads.GetManyAsync(race.Db.Engine, [K(1), K(2)], race.Bound, default);
        Assert.Equal(V(1, 2), values[0]);
        Assert.Equal(V(2), values[1]);
    }

    [Fact]
    public async Task A_scan_whose_bound_is_read_just_before_a_flush_still_finds_the_key()
    {
        await using var race = await FlushRace.OpenAsync();
        var rows = new List<KeyValue>();
        await using (var scan = DbReads.ScanAsync(race.Db.Engine, KeyRange.All, race.Bound, overlay: null, default))
        {
            while (await scan.NextAsync() is { } row)
            {
                rows.Add(row);
            }
        }

        Assert.Equal([Convert.ToHexString(K(1)), Convert.ToHexString(K(2))], rows.Select(r => Convert.ToHexString(r.Key.Span)));
        Assert.Equal(V(1, 2), rows[0].Value.ToArray());
        Assert.Equal(0, race.Db.Engine.Pins.Count);
    }

    [Fact]
    public void Take_rereads_the_bound_until_the_state_stays_the_same()
    {
        var first = EmptyState();
        var second = EmptyState();
        var third = EmptyState();
        var holder = new DbStateHolder(first);
        var seqs = new ScriptedSeqs([(10, () => holder.Update(_ => second)), (11, () => holder.Update(_ => third)), (12, null)]);

        var state = ReadBound.Visible(seqs, null).Take(holder, out var bound);

        Assert.Same(third, state);
        Assert.Equal(12UL, bound);
    }

    [Fact]
    public void A_fixed_bound_takes_the_current_state_once()
    {
        var first = EmptyState();
        var holder = new DbStateHolder(first);

        var state = ReadBound.At(42).Take(holder, out var bound);

        Assert.Same(first, state);
        Assert.Equal(42UL, bound);
        Assert.True(ReadBound.At(42).IsFixed);
        Assert.False(ReadBound.AtSnapshot(new ScriptedSeqs([]), 42, new ReadOptions { DurabilityFilter = DurabilityLevel.Remote }).IsFixed);
        Assert.True(ReadBound.AtSnapshot(new ScriptedSeqs([]), 42, null).IsFixed);
    }

    [Fact]
    public void A_durable_only_bound_is_the_lower_of_the_two_seqs()
    {
        var seqs = new ScriptedSeqs([(9, null)]) { Durable = 5 };
        Assert.Equal(5UL, ReadBound.Visible(seqs, new ReadOptions { DurabilityFilter = DurabilityLevel.Remote }).Read());
        Assert.Equal(5UL, ReadBound.AtSnapshot(seqs, 7, new ReadOptions { DurabilityFilter = DurabilityLevel.Remote }).Read());
        Assert.Equal(3UL, ReadBound.AtSnapshot(seqs, 3, new ReadOptions { DurabilityFilter = DurabilityLevel.Remote }).Read());
    }

    private static DbState EmptyState() => new(new SlateDb.Memtables.Memtable(), [], [], []);

    // Visible seqs to return, in order, each with what happens right after it is read; the last repeats.
    private sealed class ScriptedSeqs((ulong Seq, Action? After)[] script) : IReadSeqs
    {
        private int _next;

        public ulong Durable { get; init; } = ulong.MaxValue;

        public ulong VisibleSeq
        {
            get
            {
                var (seq, after) = script[Math.Min(_next++, script.Length - 1)];
                after?.Invoke();
                return seq;
            }
        }

        public ulong DurableSeq => Durable;
    }

    // A database holding key 1 at seq 1 and key 2 at seq 2, whose visible seq, the first time a read asks for it, is
    // followed by a new version of key 1 and a memtable flush: the flushed L0 keeps only that newest version, as it
    // does when no snapshot is open. A read that paired the first bound with the state after the flush would miss key 1.
    private sealed class FlushRace : IReadSeqs, IAsyncDisposable
    {
        private FlushRace(SlateDb.Db db) => Db = db;

        public SlateDb.Db Db { get; }

        public int Reads { get; private set; }

        public ReadBound Bound => ReadBound.Visible(this, null);

        public ulong VisibleSeq
        {
            get
            {
                var seq = Db.Engine.WriteLoop.VisibleSeq;
                if (Reads++ == 0)
                {
                    Db.PutAsync(K(1), V(1, 2), NoWait).GetAwaiter().GetResult();
                    Db.FlushAsync(FlushType.MemTable).GetAwaiter().GetResult();
                }

                return seq;
            }
        }

        public ulong DurableSeq => Db.Engine.WriteLoop.DurableSeq;

        public static async Task<FlushRace> OpenAsync()
        {
            var time = Clock();
            var db = await DbKit.OpenAsync(new ObjectStore.InMemoryObjectStore(null, time), new Settings { Gc = null, Compactor = null }, time);
            await db.PutAsync(K(1), V(1), NoWait);
            await db.PutAsync(K(2), V(2), NoWait);
            return new FlushRace(db);
        }

        public async ValueTask DisposeAsync() => await Db.CloseAsync();
    }
}
