using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// After an unclean stop (the writer's store wrapper crashes and the writer is abandoned) a new writer on
/// the same bytes replays the WAL that was not yet flushed to L0.
/// </summary>
public sealed class RecoveryTests
{
    [Theory]
    [InlineData(StoreKind.Memory)]
    [InlineData(StoreKind.LocalFiles)]
    public async Task Unflushed_wal_is_replayed_after_an_unclean_stop(StoreKind kind)
    {
        using var store = TestStore.Create(kind, "recovery");
        var oracle = new DurabilityOracle();
        var faults = new FaultInjectingObjectStore(store.Store, 1);
        var db = await OpenAsync("db", faults);
        for (var i = 0; i < 20; i++)
        {
            var op = i % 5 == 4 ? WriteOp.Delete(Key(i - 2)) : WriteOp.Put(Key(i), Value(i));
            oracle.Acknowledged(op, await op.ApplyAsync(db, NoWait));
        }

        await db.FlushAsync();
        oracle.AllDurable();
        var lost = WriteOp.Put(Key(100), Value(100));
        oracle.Acknowledged(lost, await lost.ApplyAsync(db, NoWait));

        faults.Crash();
        await ModelRunner.DisposeQuietlyAsync(db);

        await using var reopened = await OpenAsync("db", store.Store);
        var recovered = await KeyValueModel.ReadAllAsync(reopened);
        oracle.AssertRecovered(recovered, "after an unclean stop");
        Assert.Equal(Value(0), await reopened.GetAsync(Key(0)));
        Assert.Null(await reopened.GetAsync(Key(2)));
        Assert.Null(await reopened.GetAsync(Key(100))); // never flushed, and the clock never moved
    }

    [Fact]
    public async Task Recovery_combines_l0_tables_and_wal_over_several_unclean_stops()
    {
        var store = new InMemoryObjectStore();
        var oracle = new DurabilityOracle();
        var random = new Random(3);
        var generator = new KeyValueGenerator(random, poolSize: 120);
        for (var life = 0; life < 4; life++)
        {
            var faults = new FaultInjectingObjectStore(store, life);
            var db = await OpenAsync("db", faults, settings: SmallTables(), seed: life + 1);
            var recovered = await KeyValueModel.ReadAllAsync(db);
            oracle.AssertRecovered(recovered, $"life {life}");
            oracle.Rebase(recovered);

            // Enough data for several L0 flushes, then a WAL tail that only replay can bring back.
            for (var i = 0; i < 150; i++)
            {
                var op = random.Next(6) == 0 ? WriteOp.Delete(generator.PoolKey()) : WriteOp.Put(generator.PoolKey(), generator.Value());
                oracle.Acknowledged(op, await op.ApplyAsync(db, NoWait));
                if (i % 40 == 39)
                {
                    await db.FlushAsync();
                    oracle.AllDurable();
                }
            }

            faults.Crash();
            await ModelRunner.DisposeQuietlyAsync(db);
        }

        await using var last = await OpenAsync("db", store, settings: SmallTables(), seed: 99);
        oracle.AssertRecovered(await KeyValueModel.ReadAllAsync(last), "the last reopen");
        Assert.Contains(await ListAllAsync(store), p => p.StartsWith("db/compacted/", StringComparison.Ordinal));
    }
}
