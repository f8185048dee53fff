using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Caching;
using SlateDb.Extensions.Hosting;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.Extensions.Tests;

// The ASP.NET Core distributed cache conventions (as the SQL Server and Redis caches follow them): absolute expiration
// relative to the Set, sliding windows restarted by Get and Refresh but never past the absolute limit, bad expirations
// refused, a missing or expired entry is null, Refresh and Remove of a missing entry do nothing.
public sealed class DistributedCacheTests : IAsyncLifetime
{
    private static readonly byte[] Value = [1, 2, 3];
    private readonly FakeTimeProvider _clock = HostKit.Clock();
    private readonly InMemoryObjectStore _store = new();
    private Db _db = null!;
    private SlateDbCache _cache = null!;

    public async Task InitializeAsync()
    {
        _db = await Db.Builder("cache", _store)
            .WithTimeProvider(_clock)
            .WithSettings(new Settings { FlushInterval = TimeSpan.FromDays(1), ManifestPollInterval = TimeSpan.FromDays(1), Gc = null })
            .BuildAsync();
        _cache = new SlateDbCache(_db, new SlateDbCacheOptions { AwaitDurable = false }, _clock);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Set_get_remove_and_their_synchronous_forms()
    {
        Assert.Null(await _cache.GetAsync("missing"));
        await _cache.SetAsync("a", Value, new DistributedCacheEntryOptions());
        _cache.Set("b", [9], new DistributedCacheEntryOptions());

        Assert.Equal(Value, await _cache.GetAsync("a"));
        Assert.Equal([9], _cache.Get("b"));
        await _cache.RemoveAsync("a");
        _cache.Remove("b");
        await _cache.RemoveAsync("never-set");
        Assert.Null(await _cache.GetAsync("a"));
        Assert.Null(_cache.Get("b"));
    }

    [Fact]
    public async Task An_entry_without_expiration_lives_until_removed()
    {
        await _cache.SetAsync("a", Value, new DistributedCacheEntryOptions());
        _clock.Advance(TimeSpan.FromDays(365));

        Assert.Equal(Value, await _cache.GetAsync("a"));
    }

    [Fact]
    public async Task Absolute_expiration_relative_to_now_counts_from_the_set()
    {
        _clock.Advance(TimeSpan.FromMinutes(5));
        await _cache.SetAsync("a", Value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) });

        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(Value, await _cache.GetAsync("a"));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await _cache.GetAsync("a"));
        Assert.Null(_cache.Get("a"));
    }

    [Fact]
    public async Task Absolute_expiration_at_a_time_and_relative_to_now_wins_over_it()
    {
        var now = _clock.GetUtcNow();
        await _cache.SetAsync("at", Value, new DistributedCacheEntryOptions { AbsoluteExpiration = now.AddMinutes(1) });
        await _cache.SetAsync("both", Value, new DistributedCacheEntryOptions { AbsoluteExpiration = now.AddMinutes(1), AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(2) });

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await _cache.GetAsync("at"));
        Assert.Equal(Value, await _cache.GetAsync("both"));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await _cache.GetAsync("both"));
    }

    [Fact]
    public async Task Bad_expirations_are_refused_and_nothing_is_stored()
    {
        var now = _clock.GetUtcNow();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _cache.SetAsync("a", Value, new DistributedCacheEntryOptions { AbsoluteExpiration = now }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _cache.SetAsync("a", Value, new DistributedCacheEntryOptions { AbsoluteExpiration = now.AddSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.Zero });

        Assert.Null(await _cache.GetAsync("a"));
    }

    [Fact]
    public async Task Get_restarts_a_sliding_window()
    {
        await _cache.SetAsync("a", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });

        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(50));
            Assert.Equal(Value, await _cache.GetAsync("a"));
        }

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await _cache.GetAsync("a"));
    }

    [Fact]
    public async Task Refresh_restarts_a_sliding_window_but_never_passes_the_absolute_limit()
    {
        await _cache.SetAsync("a", Value, new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(1),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(90),
        });

        _clock.Advance(TimeSpan.FromSeconds(50));
        await _cache.RefreshAsync("a");
        _clock.Advance(TimeSpan.FromSeconds(35));               // 85 s: alive only because of the refresh at 50 s
        _cache.Refresh("a");
        Assert.Equal(Value, await _cache.GetAsync("a"));
        _clock.Advance(TimeSpan.FromSeconds(5));                // 90 s: the absolute limit, whatever the refreshes
        Assert.Null(await _cache.GetAsync("a"));
    }

    [Fact]
    public async Task A_sliding_window_without_an_access_expires()
    {
        await _cache.SetAsync("a", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        _clock.Advance(TimeSpan.FromMinutes(1));

        await _cache.RefreshAsync("a");                          // too late: refreshing an expired entry does not revive it
        Assert.Null(await _cache.GetAsync("a"));
        await _cache.RefreshAsync("never-set");
        Assert.Null(await _cache.GetAsync("never-set"));
    }

    [Fact]
    public async Task The_default_sliding_expiration_applies_only_to_entries_set_without_any()
    {
        var cache = new SlateDbCache(_db, new SlateDbCacheOptions { DefaultSlidingExpiration = TimeSpan.FromMinutes(1), KeyPrefix = "other/", AwaitDurable = false }, _clock);
        await cache.SetAsync("default", Value, new DistributedCacheEntryOptions());
        await cache.SetAsync("absolute", Value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) });

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await cache.GetAsync("default"));
        Assert.Equal(Value, await cache.GetAsync("absolute"));
        Assert.Null(await _cache.GetAsync("absolute"));          // another prefix is another cache
    }

    [Fact]
    public async Task RemoveExpiredAsync_deletes_the_expired_entries_and_their_values_only()
    {
        await _cache.SetAsync("short", Value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        await _cache.SetAsync("sliding", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        await _cache.SetAsync("long", Value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
        await _cache.SetAsync("forever", Value, new DistributedCacheEntryOptions());

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(2, await _cache.RemoveExpiredAsync());

        var keys = new List<string>();
        await foreach (var kv in _db.ScanAsync(KeyRange.Prefix("cache/")))
        {
            keys.Add(System.Text.Encoding.UTF8.GetString(kv.Key.Span));
        }

        Assert.Equal(["cache/m/forever", "cache/m/long", "cache/v/forever", "cache/v/long"], keys);
        Assert.Equal(0, await _cache.RemoveExpiredAsync());
    }

    [Fact]
    public async Task Entries_survive_a_reopen_of_the_database()
    {
        await _cache.SetAsync("session", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20) });
        await _db.CloseAsync();

        await using var reopened = await Db.Builder("cache", _store).WithTimeProvider(_clock).BuildAsync();
        Assert.Equal(Value, await new SlateDbCache(reopened, null, _clock).GetAsync("session"));
    }

    [Fact]
    public async Task AddSlateDbDistributedCache_registers_the_cache_and_sweeps_on_the_host_clock()
    {
        var clock = HostKit.Clock();
        using var host = HostKit.Build(
            [],
            s => s.AddSlateDb("cache", o =>
            {
                o.Store = new InMemoryObjectStore();
                o.Settings = new Settings { FlushInterval = TimeSpan.FromDays(1), ManifestPollInterval = TimeSpan.FromDays(1), Gc = null };
            })
            .AddSlateDbDistributedCache("cache", o =>
            {
                o.SweepInterval = TimeSpan.FromMinutes(5);
                o.AwaitDurable = false;
            }),
            clock);
        var swept = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Services.GetServices<IHostedService>().OfType<SlateDbCacheSweeper>().Single().SweepFinished += n => swept.TrySetResult(n);
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<IDistributedCache>();
        Assert.IsType<SlateDbCache>(cache);

        await cache.SetAsync("a", Value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        await cache.SetAsync("b", Value, new DistributedCacheEntryOptions());
        clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, await swept.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        var db = host.Services.GetRequiredKeyedService<Db>("cache");
        Assert.Null(await db.GetAsync("cache/m/a"));
        Assert.NotNull(await db.GetAsync("cache/v/b"));
        await host.StopAsync();
    }
}
