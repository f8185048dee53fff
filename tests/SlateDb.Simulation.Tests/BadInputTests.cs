using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// Bad input is refused with a specific exception whose message gives the limit and the size seen, the
/// refused call changes nothing, and the database still opens afterwards with all its durable data.
/// </summary>
public sealed class BadInputTests
{
    private const int MaxKey = 65_535;
    private const int MaxValue = 64 * 1024 * 1024;

    [Fact]
    public async Task Bad_keys_values_and_batches_are_refused_and_change_nothing()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync("db", store);
        await db.PutAsync(Key(1), Value(1), NoWait);
        await db.FlushAsync();

        var empty = await Assert.ThrowsAnyAsync<ArgumentException>(() => db.PutAsync(ReadOnlyMemory<byte>.Empty, Value(1), NoWait));
        Assert.Contains("empty", empty.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => db.DeleteAsync(ReadOnlyMemory<byte>.Empty, NoWait));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => db.PutAsync("", "v", NoWait));

        var longKey = await Assert.ThrowsAnyAsync<ArgumentException>(() => db.PutAsync(new byte[MaxKey + 1], Value(1), NoWait));
        AssertNames(longKey, MaxKey, MaxKey + 1);
        AssertNames(await Assert.ThrowsAnyAsync<ArgumentException>(() => db.DeleteAsync(new byte[MaxKey + 1], NoWait)), MaxKey, MaxKey + 1);

        var bigValue = new byte[MaxValue + 1];
        AssertNames(await Assert.ThrowsAnyAsync<ArgumentException>(() => db.PutAsync(Key(2), bigValue, NoWait)), MaxValue, MaxValue + 1);

        using (var batch = new WriteBatch())
        {
            Assert.Contains("empty", Assert.ThrowsAny<ArgumentException>(() => batch.Put(ReadOnlySpan<byte>.Empty, Value(1))).Message, StringComparison.OrdinalIgnoreCase);
            AssertNames(Assert.ThrowsAny<ArgumentException>(() => batch.Put(new byte[MaxKey + 1], Value(1))), MaxKey, MaxKey + 1);
            AssertNames(Assert.ThrowsAny<ArgumentException>(() => batch.Put(Key(3), bigValue)), MaxValue, MaxValue + 1);
            Assert.ThrowsAny<ArgumentException>(() => batch.Delete(ReadOnlySpan<byte>.Empty));
            Assert.Equal(0, batch.Count);
            await Assert.ThrowsAnyAsync<ArgumentException>(() => db.WriteAsync(batch, NoWait));
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(() => db.WriteAsync(new WriteBatch(), NoWait));
        bigValue = null;

        // Nothing refused was applied, and the database takes good writes as before.
        Assert.Null(await db.GetAsync(Key(2)));
        Assert.Null(await db.GetAsync(Key(3)));
        await db.PutAsync(Key(4), Value(4), NoWait);
        await db.FlushAsync();
        await db.CloseAsync();

        await using var reopened = await OpenAsync("db", store);
        Assert.Equal(Value(1), await reopened.GetAsync(Key(1)));
        Assert.Null(await reopened.GetAsync(Key(2)));
        Assert.Equal(Value(4), await reopened.GetAsync(Key(4)));
    }

    [Fact]
    public async Task The_largest_key_and_empty_values_round_trip_through_l0_and_reopen()
    {
        var store = new InMemoryObjectStore();
        var longest = new byte[MaxKey];
        Array.Fill(longest, (byte)'k');
        var db = await OpenAsync("db", store);
        await db.PutAsync(longest, Value(1), NoWait);
        await db.PutAsync(Key(1), Array.Empty<byte>(), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await db.CloseAsync();

        await using var reopened = await OpenAsync("db", store);
        Assert.Equal(Value(1), await reopened.GetAsync(longest));
        var empty = await reopened.GetAsync(Key(1));
        Assert.NotNull(empty);
        Assert.Empty(empty);
    }

    [Fact]
    public async Task Every_operation_after_close_throws_DbClosedException()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync("db", store);
        await db.PutAsync(Key(1), Value(1), NoWait);
        await db.CloseAsync();
        await db.CloseAsync();   // repeated close: no-op
        await db.DisposeAsync(); // dispose after close: no-op

        await Assert.ThrowsAsync<DbClosedException>(() => db.PutAsync(Key(2), Value(2)));
        await Assert.ThrowsAsync<DbClosedException>(() => db.PutAsync("k", "v"));
        await Assert.ThrowsAsync<DbClosedException>(() => db.DeleteAsync(Key(1)));
        using (var batch = new WriteBatch())
        {
            batch.Put(Key(3), Value(3));
            await Assert.ThrowsAsync<DbClosedException>(() => db.WriteAsync(batch));
        }

        await Assert.ThrowsAsync<DbClosedException>(() => db.FlushAsync());
        await Assert.ThrowsAsync<DbClosedException>(() => db.FlushAsync(FlushType.MemTable));
        await Assert.ThrowsAsync<DbClosedException>(async () => await db.GetAsync(Key(1)));
        await Assert.ThrowsAsync<DbClosedException>(async () =>
        {
            await using var iterator = db.ScanAsync(KeyRange.All);
            await iterator.NextAsync();
        });

        // Close flushed the memtable: the write is there after reopening.
        await using var reopened = await OpenAsync("db", store);
        Assert.Equal(Value(1), await reopened.GetAsync(Key(1)));
        Assert.Null(await reopened.GetAsync(Key(2)));
    }

    [Fact]
    public async Task Bad_settings_are_refused_naming_the_setting()
    {
        var store = new InMemoryObjectStore();
        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => OpenAsync("db", store, settings: new Settings { BlockSize = 0 }));
        Assert.Contains(nameof(Settings.BlockSize), ex.Message, StringComparison.Ordinal);
        ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => OpenAsync("db", store, settings: new Settings { FlushInterval = TimeSpan.FromSeconds(-1) }));
        Assert.Contains(nameof(Settings.FlushInterval), ex.Message, StringComparison.Ordinal);
        ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => OpenAsync("db", store, settings: new Settings { L0SstSizeBytes = 0 }));
        Assert.Contains(nameof(Settings.L0SstSizeBytes), ex.Message, StringComparison.Ordinal);
        Assert.Empty(await ListAllAsync(store));
    }

    // The message states the limit and the size seen (digit grouping allowed).
    private static void AssertNames(ArgumentException ex, int limit, int size)
    {
        var plain = ex.Message.Replace(",", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        Assert.True(
            plain.Contains(limit.ToString(), StringComparison.Ordinal) && plain.Contains(size.ToString(), StringComparison.Ordinal),
            $"The message should state the limit {limit} and the size {size}: \"{ex.Message}\"");
    }
}
