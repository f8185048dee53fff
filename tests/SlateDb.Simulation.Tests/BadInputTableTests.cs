using Microsoft.Extensions.Configuration;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// Every public entry point of the engine, fed wrong arguments or used after close or dispose: each row names the
/// call, the exact exception type it must raise and a fragment its message must hold (the argument, limit or object).
/// </summary>
public sealed class BadInputTableTests
{
    private const int MaxKey = 65_535;
    private const int MaxValue = 64 * 1024 * 1024;
    private static readonly byte[] LongKey = new byte[MaxKey + 1];
    private static readonly byte[] Empty = [];

    /// <summary>One bad call: what it does (given an open database and its fixtures), and what it must raise.</summary>
    public sealed record Case(string Name, Func<Fixture, Task> Act, Type Expected, string Fragment)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<string> Names() => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_bad_call_raises_its_exact_exception_naming_the_problem(string name)
    {
        var row = Cases.Single(c => c.Name == name);
        await using var fixture = await Fixture.OpenAsync();
        var e = await Record.ExceptionAsync(() => row.Act(fixture));
        Assert.True(e is not null, $"{name}: nothing was thrown; expected {row.Expected.Name}");
        Assert.True(e.GetType() == row.Expected, $"{name}: {e.GetType().Name} ({e.Message}); expected {row.Expected.Name}");
        Assert.True(e.Message.Contains(row.Fragment, StringComparison.OrdinalIgnoreCase), $"{name}: the message \"{e.Message}\" does not name \"{row.Fragment}\"");
    }

    [Fact]
    public void Every_case_has_a_unique_name() => Assert.Equal(Cases.Count, Cases.Select(c => c.Name).Distinct().Count());

    private static readonly WriteOptions Durable = new() { AwaitDurable = true };

    private static readonly IReadOnlyList<Case> Cases =
    [
        // Opening.
        new("Db.OpenAsync null path", f => Db.OpenAsync(null!, f.Store), typeof(ArgumentNullException), "path"),
        new("Db.OpenAsync null store", f => Db.OpenAsync("db2", null!), typeof(ArgumentNullException), "store"),
        new("Db.OpenAsync empty path", f => Db.OpenAsync("", f.Store), typeof(ArgumentException), "must not be empty"),
        new("Db.OpenAsync absolute path", f => Db.OpenAsync("/abs", f.Store), typeof(ArgumentException), "relative"),
        new("Db.OpenAsync dot-dot path", f => Db.OpenAsync("a/../b", f.Store), typeof(ArgumentException), "'..'"),
        new("DbBuilder null settings", f => Task.FromResult(Db.Builder("db2", f.Store).WithSettings(null!)), typeof(ArgumentNullException), "settings"),
        new("DbBuilder null time provider", f => Task.FromResult(Db.Builder("db2", f.Store).WithTimeProvider(null!)), typeof(ArgumentNullException), "timeProvider"),
        new("DbBuilder null WAL store", f => Task.FromResult(Db.Builder("db2", f.Store).WithWalObjectStore(null!)), typeof(ArgumentNullException), "walStore"),
        new("DbBuilder null logger factory", f => Task.FromResult(Db.Builder("db2", f.Store).WithLogger(null!)), typeof(ArgumentNullException), "loggerFactory"),
        new("DbBuilder cancelled open", f => Db.Builder("db2", f.Store).BuildAsync(new CancellationToken(canceled: true)), typeof(OperationCanceledException), "canceled"),

        // Settings.
        new("Settings BlockSize 0", f => OpenWith(f, new Settings { BlockSize = 0 }), typeof(ArgumentException), "Settings.BlockSize is 0; it must be between 256"),
        new("Settings negative FlushInterval", f => OpenWith(f, new Settings { FlushInterval = TimeSpan.FromSeconds(-1) }), typeof(ArgumentException), "Settings.FlushInterval"),
        new("Settings L0SstSizeBytes 0", f => OpenWith(f, new Settings { L0SstSizeBytes = 0 }), typeof(ArgumentException), "Settings.L0SstSizeBytes is 0"),
        new("Settings negative BloomBitsPerKey", f => OpenWith(f, new Settings { BloomBitsPerKey = -1 }), typeof(ArgumentException), "Settings.BloomBitsPerKey is -1"),
        new("Settings negative ManifestPollInterval", f => OpenWith(f, new Settings { ManifestPollInterval = TimeSpan.FromSeconds(-1) }), typeof(ArgumentException), "Settings.ManifestPollInterval"),
        new("Settings MaxUnflushedBytes 0", f => OpenWith(f, new Settings { MaxUnflushedBytes = 0 }), typeof(ArgumentException), "Settings.MaxUnflushedBytes"),
        new("Settings negative Gc.MinAge", f => OpenWith(f, new Settings { Gc = new GcSettings { MinAge = TimeSpan.FromSeconds(-1) } }), typeof(ArgumentException), "Settings.Gc.MinAge"),
        new("Settings Compactor.SizeRatio 0", f => OpenWith(f, new Settings { Compactor = new CompactorSettings { SizeRatio = 0 } }), typeof(ArgumentException), "CompactorSettings.SizeRatio is 0"),
        new("Settings.FromConfiguration null", f => Task.FromResult(Settings.FromConfiguration(null!)), typeof(ArgumentNullException), "section"),
        new("Settings.FromConfiguration unconvertible", f => Task.FromResult(Configured(("BlockSize", "big"))), typeof(InvalidOperationException), "BlockSize"),
        new("Settings.FromConfiguration unknown codec", f => Task.FromResult(Configured(("Compression", "lz4"))), typeof(InvalidOperationException), "Compression"),
        new("Settings.FromConfiguration out of range", f => Task.FromResult(Configured(("BlockSize", "1"))), typeof(ArgumentException), "Settings.BlockSize is 1"),
        new("Settings.FromConfiguration negative duration", f => Task.FromResult(Configured(("Gc:MinAge", "-00:01:00"))), typeof(ArgumentException), "Settings.Gc.MinAge"),

        // Writes.
        new("PutAsync empty key", f => f.Db.PutAsync(Empty, Value(1), NoWait), typeof(ArgumentException), "empty"),
        new("PutAsync oversize key", f => f.Db.PutAsync(LongKey, Value(1), NoWait), typeof(ArgumentException), "65535"),
        new("PutAsync oversize value", f => f.Db.PutAsync(Key(1), new byte[MaxValue + 1], NoWait), typeof(ArgumentException), "67108864"),
        new("PutAsync null string key", f => f.Db.PutAsync(null!, "v", NoWait), typeof(ArgumentNullException), "key"),
        new("PutAsync null string value", f => f.Db.PutAsync("k", null!, NoWait), typeof(ArgumentNullException), "value"),
        new("PutAsync cancelled", f => f.Db.PutAsync(Key(1), Value(1), Durable, new CancellationToken(canceled: true)), typeof(TaskCanceledException), "cancel"),
        new("DeleteAsync empty key", f => f.Db.DeleteAsync(Empty, NoWait), typeof(ArgumentException), "empty"),
        new("DeleteAsync oversize key", f => f.Db.DeleteAsync(LongKey, NoWait), typeof(ArgumentException), "65535"),
        new("DeleteAsync null string key", f => f.Db.DeleteAsync((string)null!, NoWait), typeof(ArgumentNullException), "key"),
        new("WriteAsync null batch", f => f.Db.WriteAsync(null!, NoWait), typeof(ArgumentNullException), "batch"),
        new("WriteAsync empty batch", f => f.Db.WriteAsync(new WriteBatch(), NoWait), typeof(ArgumentException), "empty"),
        new("WriteAsync disposed batch", async f =>
        {
            var batch = new WriteBatch().Put("k", "v");
            batch.Dispose();
            await f.Db.WriteAsync(batch, NoWait);
        }, typeof(ObjectDisposedException), "WriteBatch"),
        new("WriteBatch.Put empty key", f => Task.FromResult(new WriteBatch().Put(Empty, Value(1))), typeof(ArgumentException), "empty"),
        new("WriteBatch.Put oversize key", f => Task.FromResult(new WriteBatch().Put(LongKey, Value(1))), typeof(ArgumentException), "65535"),
        new("WriteBatch.Put null string", f => Task.FromResult(new WriteBatch().Put(null!, "v")), typeof(ArgumentNullException), "key"),
        new("WriteBatch.Delete empty key", f => Task.FromResult(new WriteBatch().Delete(Empty)), typeof(ArgumentException), "empty"),
        new("WriteBatch.Put after dispose", f =>
        {
            var batch = new WriteBatch();
            batch.Dispose();
            return Task.FromResult(batch.Put("k", "v"));
        }, typeof(ObjectDisposedException), "WriteBatch"),

        // Reads.
        new("GetAsync empty key", async f => await f.Db.GetAsync(Empty), typeof(ArgumentException), "empty"),
        new("GetAsync oversize key", async f => await f.Db.GetAsync(LongKey), typeof(ArgumentException), "65535"),
        new("GetAsync null string key", async f => await f.Db.GetAsync((string)null!), typeof(ArgumentNullException), "key"),
        new("GetManyAsync null list", async f => await f.Db.GetManyAsync(null!), typeof(ArgumentNullException), "keys"),
        new("GetManyAsync empty key inside", async f => await f.Db.GetManyAsync([Key(1), Empty]), typeof(ArgumentException), "empty"),
        new("ScanAsync null range", async f => await Drain(f.Db.ScanAsync(null!)), typeof(ArgumentNullException), "range"),
        new("KeyRange.Between inverted", f => Task.FromResult(KeyRange.Between("b", "a")), typeof(ArgumentException), "start"),
        new("KeyRange.Between null", f => Task.FromResult(KeyRange.Between(null!, "a")), typeof(ArgumentNullException), "start"),
        new("KeyRange.Prefix null", f => Task.FromResult(KeyRange.Prefix((string)null!)), typeof(ArgumentNullException), "prefix"),

        // Snapshots and transactions.
        new("Snapshot GetAsync after dispose", async f =>
        {
            var snapshot = f.Db.Snapshot();
            await snapshot.DisposeAsync();
            await snapshot.GetAsync(Key(1));
        }, typeof(ObjectDisposedException), "DbSnapshot"),
        new("Snapshot GetAsync empty key", async f =>
        {
            await using var snapshot = f.Db.Snapshot();
            await snapshot.GetAsync(Empty);
        }, typeof(ArgumentException), "empty"),
        new("Transaction Put empty key", async f =>
        {
            await using var transaction = f.Db.BeginTransaction();
            transaction.Put(Empty, Value(1));
        }, typeof(ArgumentException), "empty"),
        new("Transaction Put oversize value", async f =>
        {
            await using var transaction = f.Db.BeginTransaction();
            transaction.Put(Key(1), new byte[MaxValue + 1]);
        }, typeof(ArgumentException), "67108864"),
        new("Transaction CommitAsync twice", async f =>
        {
            await using var transaction = f.Db.BeginTransaction();
            transaction.Put(Key(1), Value(1));
            await transaction.CommitAsync(NoWait);
            await transaction.CommitAsync(NoWait);
        }, typeof(InvalidOperationException), "committed"),
        new("Transaction Put after rollback", async f =>
        {
            await using var transaction = f.Db.BeginTransaction();
            transaction.Rollback();
            transaction.Put(Key(1), Value(1));
        }, typeof(InvalidOperationException), "rolled back"),
        new("Transaction GetAsync after dispose", async f =>
        {
            var transaction = f.Db.BeginTransaction();
            await transaction.DisposeAsync();
            await transaction.GetAsync(Key(1));
        }, typeof(ObjectDisposedException), "DbTransaction"),
        new("BeginTransaction unknown isolation", f => Task.FromResult(f.Db.BeginTransaction((TransactionIsolation)99)), typeof(ArgumentOutOfRangeException), "isolation"),

        // Checkpoints and flushes.
        new("CreateCheckpointAsync unknown source", f => f.Db.CreateCheckpointAsync(CheckpointScope.All, new CheckpointOptions { Source = new Guid("00000000-0000-0000-0000-0000000000aa") }), typeof(SlateDbException), "000000aa"),
        new("CreateCheckpointAsync negative lifetime", f => f.Db.CreateCheckpointAsync(CheckpointScope.All, new CheckpointOptions { Lifetime = TimeSpan.FromSeconds(-1) }), typeof(ArgumentOutOfRangeException), "Lifetime"),
        new("CreateCheckpointAsync unknown scope", f => f.Db.CreateCheckpointAsync((CheckpointScope)99), typeof(ArgumentOutOfRangeException), "scope"),
        new("FlushAsync unknown flush type", f => f.Db.FlushAsync((FlushType)99), typeof(ArgumentOutOfRangeException), "flushType"),

        new("Snapshot ScanAsync after dispose", async f =>
        {
            var snapshot = f.Db.Snapshot();
            await snapshot.DisposeAsync();
            await Drain(snapshot.ScanAsync(KeyRange.All));
        }, typeof(ObjectDisposedException), "DbSnapshot"),
        new("Snapshot GetManyAsync after dispose", async f =>
        {
            var snapshot = f.Db.Snapshot();
            await snapshot.DisposeAsync();
            await snapshot.GetManyAsync([Key(1)]);
        }, typeof(ObjectDisposedException), "DbSnapshot"),
        new("Transaction Put after dispose", async f =>
        {
            var transaction = f.Db.BeginTransaction();
            await transaction.DisposeAsync();
            transaction.Put(Key(1), Value(1));
        }, typeof(ObjectDisposedException), "DbTransaction"),
        new("Transaction CommitAsync after dispose", async f =>
        {
            var transaction = f.Db.BeginTransaction();
            await transaction.DisposeAsync();
            await transaction.CommitAsync();
        }, typeof(ObjectDisposedException), "DbTransaction"),
        new("Transaction ScanAsync after dispose", async f =>
        {
            var transaction = f.Db.BeginTransaction();
            await transaction.DisposeAsync();
            await Drain(transaction.ScanAsync(KeyRange.All));
        }, typeof(ObjectDisposedException), "DbTransaction"),

        // Readers.
        new("DbReader.OpenAsync missing database", f => DbReader.OpenAsync("nothing-here", f.Store), typeof(SlateDbException), "nothing-here"),
        new("DbReader.OpenAsync unknown checkpoint", f => DbReader.OpenAsync("db", f.Store, new DbReaderOptions { CheckpointId = new Guid("00000000-0000-0000-0000-0000000000bb") }), typeof(SlateDbException), "000000bb"),
        new("DbReader.OpenAsync negative poll interval", f => DbReader.OpenAsync("db", f.Store, new DbReaderOptions { ManifestPollInterval = TimeSpan.FromSeconds(-1) }), typeof(ArgumentOutOfRangeException), "ManifestPollInterval"),
        new("DbReader.OpenAsync null store", f => DbReader.OpenAsync("db", null!), typeof(ArgumentNullException), "store"),
        new("DbReader GetAsync empty key", async f =>
        {
            await using var reader = await DbReader.OpenAsync("db", f.Store);
            await reader.GetAsync(Empty);
        }, typeof(ArgumentException), "empty"),
        new("DbReader GetAsync after dispose", async f =>
        {
            var reader = await DbReader.OpenAsync("db", f.Store);
            await reader.DisposeAsync();
            await reader.GetAsync(Key(1));
        }, typeof(DbClosedException), "'db' is closed"),

        new("DbReader ScanAsync after dispose", async f =>
        {
            var reader = await DbReader.OpenAsync("db", f.Store);
            await reader.DisposeAsync();
            await Drain(reader.ScanAsync(KeyRange.All));
        }, typeof(DbClosedException), "'db' is closed"),
        new("DbReader GetManyAsync after dispose", async f =>
        {
            var reader = await DbReader.OpenAsync("db", f.Store);
            await reader.DisposeAsync();
            await reader.GetManyAsync([Key(1)]);
        }, typeof(DbClosedException), "'db' is closed"),
        new("DbReader RefreshAsync after dispose", async f =>
        {
            var reader = await DbReader.OpenAsync("db", f.Store);
            await reader.DisposeAsync();
            await reader.RefreshAsync();
        }, typeof(DbClosedException), "'db' is closed"),
        new("DbReader PromoteAsync after dispose", async f =>
        {
            var reader = await DbReader.OpenAsync("db", f.Store);
            await reader.DisposeAsync();
            await reader.PromoteAsync();
        }, typeof(DbClosedException), "'db' is closed"),

        // The compactor.
        new("Compactor.OpenAsync null path", f => Compactor.OpenAsync(null!, f.Store), typeof(ArgumentNullException), "path"),
        new("Compactor.OpenAsync bad path", f => Compactor.OpenAsync("a//b", f.Store), typeof(ArgumentException), "'a//b'"),
        new("Compactor CompactAsync after dispose", async f =>
        {
            var compactor = await Compactor.OpenAsync("db", f.Store);
            await compactor.DisposeAsync();
            await compactor.CompactAsync();
        }, typeof(ObjectDisposedException), "Compactor"),

        new("Compactor RunAsync after dispose", async f =>
        {
            var compactor = await Compactor.OpenAsync("db", f.Store);
            await compactor.DisposeAsync();
            await compactor.RunAsync();
        }, typeof(ObjectDisposedException), "Compactor"),
        new("WriteBatch.Delete after dispose", f =>
        {
            var batch = new WriteBatch();
            batch.Dispose();
            return Task.FromResult(batch.Delete("k"));
        }, typeof(ObjectDisposedException), "WriteBatch"),

        // Stores.
        new("FromUri null", f => Task.FromResult(ObjectStores.FromUri(null!)), typeof(ArgumentNullException), "uri"),
        new("FromUri no scheme", f => Task.FromResult(ObjectStores.FromUri("bucket/prefix")), typeof(ArgumentException), "scheme://"),
        new("FromUri unknown scheme", f => Task.FromResult(ObjectStores.FromUri("gs://bucket")), typeof(ArgumentException), "unknown scheme 'gs'"),
        new("FromUri fragment", f => Task.FromResult(ObjectStores.FromUri("memory://a#b")), typeof(ArgumentException), "fragment"),
        new("FromUri memory with query", f => Task.FromResult(ObjectStores.FromUri("memory://a?x=1")), typeof(ArgumentException), "takes no query parameters"),
        new("FromUri file with host", f => Task.FromResult(ObjectStores.FromUri("file://host/x")), typeof(ArgumentException), "host 'host'"),
        new("FromUri s3 credentials", f => Task.FromResult(ObjectStores.FromUri("s3://user:pw@bucket")), typeof(ArgumentException), "credentials"),
        new("FromUri s3 secret in query", f => Task.FromResult(ObjectStores.FromUri("s3://bucket?secret=x")), typeof(ArgumentException), "'secret'"),
        new("FromUri s3 bad region", f => Task.FromResult(ObjectStores.FromUri("s3://bucket?region=us-east-")), typeof(ArgumentException), "Region"),
        new("FromUri s3 bad endpoint", f => Task.FromResult(ObjectStores.FromUri("s3://bucket?endpoint=ftp://x")), typeof(ArgumentException), "endpoint"),
        new("LocalFileSystemObjectStore empty root", f => Task.FromResult(new LocalFileSystemObjectStore("")), typeof(ArgumentException), "root"),
        new("InMemoryObjectStore GetAsync missing", async f => await new InMemoryObjectStore().GetAsync("x/y"), typeof(ObjectNotFoundException), "x/y"),

        // After close: every method of the closed database.
        new("closed PutAsync", f => f.Closed.PutAsync(Key(1), Value(1)), typeof(DbClosedException), "closed"),
        new("closed DeleteAsync", f => f.Closed.DeleteAsync(Key(1)), typeof(DbClosedException), "closed"),
        new("closed WriteAsync", f => f.Closed.WriteAsync(new WriteBatch().Put("k", "v")), typeof(DbClosedException), "closed"),
        new("closed GetAsync", async f => await f.Closed.GetAsync(Key(1)), typeof(DbClosedException), "closed"),
        new("closed GetManyAsync", async f => await f.Closed.GetManyAsync([Key(1)]), typeof(DbClosedException), "closed"),
        new("closed ScanAsync", async f => await Drain(f.Closed.ScanAsync(KeyRange.All)), typeof(DbClosedException), "closed"),
        new("closed FlushAsync", f => f.Closed.FlushAsync(), typeof(DbClosedException), "closed"),
        new("closed Snapshot", f => Task.FromResult(f.Closed.Snapshot()), typeof(DbClosedException), "closed"),
        new("closed BeginTransaction", f => Task.FromResult(f.Closed.BeginTransaction()), typeof(DbClosedException), "closed"),
        new("closed CreateCheckpointAsync", f => f.Closed.CreateCheckpointAsync(CheckpointScope.All), typeof(DbClosedException), "closed"),
        new("closed PutAsync string", f => f.Closed.PutAsync("k", "v"), typeof(DbClosedException), "closed"),
        new("closed DeleteAsync string", f => f.Closed.DeleteAsync("k"), typeof(DbClosedException), "closed"),
        new("closed GetAsync string", async f => await f.Closed.GetAsync("k"), typeof(DbClosedException), "closed"),
        new("snapshot of closed db ScanAsync", async f => await Drain(f.ClosedSnapshot.ScanAsync(KeyRange.All)), typeof(DbClosedException), "closed"),
        new("transaction of closed db GetAsync", async f => await f.ClosedTransaction.GetAsync(Key(1)), typeof(DbClosedException), "closed"),
        new("snapshot of closed db GetAsync", async f => await f.ClosedSnapshot.GetAsync(Key(1)), typeof(DbClosedException), "closed"),
        new("transaction of closed db CommitAsync", f => f.ClosedTransaction.CommitAsync(), typeof(DbClosedException), "closed"),
    ];

    private static Settings Configured(params (string Key, string Value)[] values)
        => Settings.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build());

    private static Task<Db> OpenWith(Fixture f, Settings settings) => Db.Builder("db2", f.Store).WithSettings(settings).WithTimeProvider(Clock()).BuildAsync();

    private static async Task Drain(DbIterator iterator)
    {
        await using (iterator)
        {
            while (await iterator.NextAsync() is not null)
            {
            }
        }
    }

    /// <summary>An open database with one durable row, and a second one closed after a snapshot and a transaction were taken.</summary>
    public sealed record Fixture(InMemoryObjectStore Store, Db Db, Db Closed, DbSnapshot ClosedSnapshot, DbTransaction ClosedTransaction)
        : IAsyncDisposable
    {
        public static async Task<Fixture> OpenAsync()
        {
            var store = new InMemoryObjectStore();
            var closed = await TestDb.OpenAsync("closed", store);
            var snapshot = closed.Snapshot();
            var transaction = closed.BeginTransaction();
            transaction.Put(Key(2), Value(2));
            await closed.CloseAsync();
            var db = await TestDb.OpenAsync("db", store);
            await db.PutAsync(Key(1), Value(1), NoWait);
            await db.FlushAsync();
            return new Fixture(store, db, closed, snapshot, transaction);
        }

        public async ValueTask DisposeAsync()
        {
            await ClosedSnapshot.DisposeAsync();
            await ClosedTransaction.DisposeAsync();
            await Db.DisposeAsync();
        }
    }
}
