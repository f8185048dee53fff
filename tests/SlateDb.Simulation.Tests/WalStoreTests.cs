using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// A database configured with a separate WAL store writes its WAL there and nothing else; the manifest
/// remembers the WAL store's URI, so opening with another WAL store or none is an error naming both, and
/// adding a WAL store to a database that had none is remembered once the WAL holds nothing to replay.
/// </summary>
public sealed class WalStoreTests
{
    [Theory]
    [InlineData(StoreKind.Memory)]
    [InlineData(StoreKind.LocalFiles)]
    public async Task Wal_objects_go_only_to_the_wal_store(StoreKind kind)
    {
        using var main = TestStore.Create(kind, "main");
        using var wal = TestStore.Create(kind, "wal");
        var db = await OpenAsync("db", main.Store, wal.Store, SmallTables());
        for (var i = 0; i < 40; i++)
        {
            await db.PutAsync(Key(i), Value(i), NoWait);
            if (i % 10 == 9)
            {
                await db.FlushAsync();
            }
        }

        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync(Key(100), Value(100), NoWait);
        await db.CloseAsync();

        var mainPaths = await ListAllAsync(main.Store);
        var walPaths = await ListAllAsync(wal.Store);
        Assert.All(mainPaths, p => Assert.True(
            p.StartsWith("db/manifest/", StringComparison.Ordinal) || p.StartsWith("db/compacted/", StringComparison.Ordinal)
            || p.StartsWith("db/compactions/", StringComparison.Ordinal),
            $"The main store holds {p}; only manifest/, compacted/ and compactions/ belong there. Main: {string.Join(", ", mainPaths)}"));
        Assert.Contains(mainPaths, p => p.StartsWith("db/manifest/", StringComparison.Ordinal));
        Assert.Contains(mainPaths, p => p.StartsWith("db/compacted/", StringComparison.Ordinal));
        Assert.All(walPaths, p => Assert.True(
            p.StartsWith("db/wal/", StringComparison.Ordinal),
            $"The WAL store holds {p}; only wal/ belongs there. WAL: {string.Join(", ", walPaths)}"));
        Assert.True(walPaths.Count >= 4, $"Expected at least 4 WAL objects, found: {string.Join(", ", walPaths)}");

        await using var reopened = await OpenAsync("db", main.Store, wal.Store, SmallTables());
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(Value(i), await reopened.GetAsync(Key(i)));
        }

        Assert.Equal(Value(100), await reopened.GetAsync(Key(100)));
    }

    [Fact]
    public async Task Opening_with_another_wal_store_or_none_fails_naming_both_stores()
    {
        var main = new InMemoryObjectStore("memory://main-store");
        var wal = new InMemoryObjectStore("memory://the-wal-store");
        var other = new InMemoryObjectStore("memory://another-wal-store");
        var db = await OpenAsync("db", main, wal);
        await db.PutAsync(Key(1), Value(1), NoWait);
        await db.FlushAsync();
        await db.CloseAsync();

        var wrong = await AssertRefusedAsync(() => OpenAsync("db", main, other));
        Assert.Contains(wal.Uri, wrong.Message, StringComparison.Ordinal);
        Assert.Contains(other.Uri, wrong.Message, StringComparison.Ordinal);

        var none = await AssertRefusedAsync(() => OpenAsync("db", main));
        Assert.Contains(wal.Uri, none.Message, StringComparison.Ordinal);

        // The refused opens changed nothing.
        Assert.DoesNotContain(await ListAllAsync(other), p => p.Contains("/wal/", StringComparison.Ordinal));
        await using var right = await OpenAsync("db", main, wal);
        Assert.Equal(Value(1), await right.GetAsync(Key(1)));
    }

    [Fact]
    public async Task Adding_a_wal_store_to_a_database_without_one_is_remembered()
    {
        var main = new InMemoryObjectStore("memory://main-store");
        var wal = new InMemoryObjectStore("memory://new-wal-store");
        var db = await OpenAsync("db", main);
        await db.PutAsync(Key(1), Value(1), NoWait);
        await db.FlushAsync();
        await db.CloseAsync(); // flushes the memtable: the WAL range to replay is now empty

        var mainWalBefore = (await ListAllAsync(main)).Count(IsWal);
        db = await OpenAsync("db", main, wal);
        Assert.Equal(Value(1), await db.GetAsync(Key(1)));
        await db.PutAsync(Key(2), Value(2), NoWait);
        await db.FlushAsync();
        await db.CloseAsync();

        Assert.Equal(mainWalBefore, (await ListAllAsync(main)).Count(IsWal));
        Assert.Contains(await ListAllAsync(wal), IsWal);

        // The manifest now names the WAL store: opening without it is refused, with it works.
        var none = await AssertRefusedAsync(() => OpenAsync("db", main));
        Assert.Contains(wal.Uri, none.Message, StringComparison.Ordinal);
        await using var again = await OpenAsync("db", main, wal);
        Assert.Equal(Value(1), await again.GetAsync(Key(1)));
        Assert.Equal(Value(2), await again.GetAsync(Key(2)));
    }

    [Fact]
    public async Task Adding_a_wal_store_while_the_old_wal_holds_data_to_replay_is_refused()
    {
        var main = new InMemoryObjectStore("memory://main-store");
        var wal = new InMemoryObjectStore("memory://new-wal-store");
        var faults = new FaultInjectingObjectStore(main, 1);
        var db = await OpenAsync("db", faults);
        await db.PutAsync(Key(1), Value(1), NoWait);
        await db.FlushAsync();
        faults.Crash(); // an unclean stop: the durable write lives only in the main store's WAL
        await ModelRunner.DisposeQuietlyAsync(db);

        await AssertRefusedAsync(() => OpenAsync("db", main, wal));

        await using var withoutWal = await OpenAsync("db", main);
        Assert.Equal(Value(1), await withoutWal.GetAsync(Key(1)));
    }

    private static bool IsWal(string path) => path.StartsWith("db/wal/", StringComparison.Ordinal);

    private static async Task<Exception> AssertRefusedAsync(Func<Task<Db>> open)
    {
        Db? db = null;
        var ex = await Record.ExceptionAsync(async () => db = await Guard.Within(open(), "the open that should be refused"));
        await ModelRunner.DisposeQuietlyAsync(db);
        Assert.NotNull(ex);
        Assert.True(
            ex is SlateDbException or ArgumentException,
            $"Expected a SlateDbException or ArgumentException, got {ex}");
        return ex;
    }
}
