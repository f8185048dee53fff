using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Reliability.Tests.Cancellation;

/// <summary>
/// Cancellation at seeded points: a write's token cancelled at each store call it causes (before the call, or
/// after the call took effect; every call, and the WAL PUTs in particular), and an open's token cancelled at each
/// store call of the open (manifest reads, the fence, the WAL replay). The cancelled call throws
/// <see cref="OperationCanceledException"/> or completes; nothing else. The database goes on working, and it
/// reopens with every write acknowledged durable.
/// </summary>
public sealed class CancellationTests(ITestOutputHelper output)
{
    private const string DbPath = "cancel-db";

    [Theory]
    [InlineData("", false)]
    [InlineData("", true)]
    [InlineData("/wal/", false)]
    [InlineData("/wal/", true)]
    public async Task A_write_cancelled_at_a_store_call_throws_OperationCanceledException_and_loses_nothing_durable(string pathFragment, bool afterCall)
    {
        var cancelledCalls = 0;
        for (var k = 1; ; k++)
        {
            var inner = new InMemoryObjectStore();
            var store = new CancelAtCallObjectStore(inner);
            var time = Clock();
            var db = await Guard.Within(Open(store, time, seed: 1).BuildAsync(), "open");
            var oracle = new DurabilityOracle();
            using var cts = new CancellationTokenSource();
            store.Arm(cts, k, pathFragment, afterCall);
            var context = $"cancel at call {k} matching '{pathFragment}' ({(afterCall ? "after" : "before")} it)";

            var random = new Random(k);
            var token = cts.Token;
            for (var i = 0; i < 24; i++)
            {
                if (i % 7 == 6)
                {
                    if (!await CancellableAsync(() => db.FlushAsync(FlushType.MemTable, token), context))
                    {
                        token = CancellationToken.None;   // the rest of the run: the database must still work
                    }

                    continue;
                }

                var op = NextOp(random, i);
                var handle = default(WriteHandle);
                var acknowledged = await CancellableAsync(async () => handle = await op.ApplyAsync(db, cancellationToken: token), context);
                if (acknowledged)
                {
                    oracle.DurableThrough(oracle.Acknowledged(op, handle!));
                }
                else
                {
                    oracle.Unknown(op);
                    token = CancellationToken.None;
                }
            }

            store.Disarm();
            if (!store.Fired)
            {
                output.WriteLine($"'{pathFragment}' {(afterCall ? "after" : "before")}: {k - 1} cancellation points, {cancelledCalls} calls cancelled.");
                Assert.True(cancelledCalls > 0, "No call was ever cancelled: the test checks nothing.");
                return;
            }

            cancelledCalls += token == CancellationToken.None ? 1 : 0;

            // The live database holds every acknowledged write (and the cancelled one, whole or not at all).
            oracle.AssertRecovered(await KeyValueModel.ReadAllAsync(db), $"{context}: the live database");
            await Guard.Within(db.CloseAsync(), $"{context}: close");
            oracle.AllDurable();

            await using var reopened = await Guard.Within(Open(new CancelAtCallObjectStore(inner), time, seed: 2).BuildAsync(), $"{context}: reopen");
            oracle.AssertRecovered(await KeyValueModel.ReadAllAsync(reopened), $"{context}: after reopening");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_open_cancelled_at_any_store_call_throws_OperationCanceledException_and_the_next_open_recovers_everything(bool afterCall)
    {
        var cancelled = 0;
        for (var k = 1; ; k++)
        {
            var (inner, oracle, time) = await CrashedDatabaseAsync();
            var store = new CancelAtCallObjectStore(inner);
            using var cts = new CancellationTokenSource();
            store.Arm(cts, k, "", afterCall);
            var context = $"open cancelled at call {k} ({(afterCall ? "after" : "before")} it)";
            Db? opened = null;
            var completed = await CancellableAsync(async () => opened = await Open(store, time, seed: 3).BuildAsync(cts.Token), context);
            if (!store.Fired)
            {
                Assert.True(completed);
                await opened!.CloseAsync();
                output.WriteLine($"{(afterCall ? "after" : "before")}: the open makes {k - 1} store calls; {cancelled} cancellations threw.");
                Assert.True(cancelled > 0, "No open was ever cancelled: the test checks nothing.");
                return;
            }

            if (completed)
            {
                await opened!.CloseAsync();   // the cancellation came after the open's last wait
            }
            else
            {
                cancelled++;
            }

            store.Disarm();
            await using var db = await Guard.Within(Open(store, time, seed: 4).BuildAsync(), $"{context}: the next open");
            oracle.AssertRecovered(await KeyValueModel.ReadAllAsync(db), $"{context}: the next open");
            await db.PutAsync("after"u8.ToArray(), "ok"u8.ToArray());
        }
    }

    /// <summary>A database whose writer died with writes in L0 and in the WAL (replayed at the next open).</summary>
    private static async Task<(InMemoryObjectStore Store, DurabilityOracle Oracle, FakeTimeProvider Time)> CrashedDatabaseAsync()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(inner, seed: 5);
        var time = Clock();
        var oracle = new DurabilityOracle();
        var db = await Open(faults, time, seed: 5).BuildAsync();
        var random = new Random(5);
        for (var i = 0; i < 30; i++)
        {
            var op = NextOp(random, i);
            oracle.DurableThrough(oracle.Acknowledged(op, await op.ApplyAsync(db)));
            if (i == 14)
            {
                await db.FlushAsync(FlushType.MemTable);
            }
        }

        faults.Crash();
        await ModelRunner.DisposeQuietlyAsync(db);
        return (inner, oracle, time);
    }

    /// <summary>Runs a call that may be cancelled: true when it completed, false when it threw OperationCanceledException.</summary>
    private static async Task<bool> CancellableAsync(Func<Task> call, string context)
    {
        try
        {
            await Guard.Within(call(), context);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static WriteOp NextOp(Random random, int i)
    {
        byte[] Key() => Bytes.Utf8($"key-{random.Next(20):D2}");
        byte[] Value() => Bytes.Utf8($"value-{i}-" + new string('v', random.Next(120)));
        return random.Next(4) switch
        {
            0 => WriteOp.Delete(Key()),
            1 => WriteOp.Batch(new Mutation(Key(), Value()), new Mutation(Key(), null), new Mutation(Key(), Value())),
            _ => WriteOp.Put(Key(), Value()),
        };
    }

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static DbBuilder Open(IObjectStore store, TimeProvider time, long seed) => Db.Builder(DbPath, store)
        .WithSettings(new Settings { L0SstSizeBytes = 2048, BlockSize = 512, MinFilterKeys = 2, Compactor = null, Gc = null })
        .WithTimeProvider(time)
        .WithSeed(seed);
}
