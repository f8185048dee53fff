using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SlateDb.Extensions.Hosting;
using SlateDb.ObjectStore;
using SlateDb.Testing;
using Xunit;
using static SlateDb.Extensions.Tests.HostKit;

namespace SlateDb.Extensions.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task AddSlateDb_binds_configuration_opens_on_start_and_closes_flushed_on_stop()
    {
        using var dir = new TempDirectory("hosting");
        var config = new Dictionary<string, string?>
        {
            ["SlateDb:orders:StoreUri"] = FileUri(dir.Combine("main")),
            ["SlateDb:orders:WalStoreUri"] = FileUri(dir.Combine("wal")),
            ["SlateDb:orders:Path"] = "tenants/a/orders",
            ["SlateDb:orders:Settings:FlushInterval"] = "00:00:00.010",
            ["SlateDb:orders:Settings:BlockSize"] = "8192",
        };
        Db db;
        using (var host = Build(config, s => s.AddSlateDb("orders")))
        {
            await host.StartAsync();
            db = host.Services.GetRequiredKeyedService<Db>("orders");
            Assert.Same(db, host.Services.GetRequiredService<Db>());
            Assert.Equal(8192, host.Services.GetRequiredKeyedService<SlateDbInstance>("orders").Options.Settings.BlockSize);
            await db.PutAsync("order:1", "paid");
            await host.StopAsync();
        }

        Assert.Equal(DbLifecycleState.Closed, db.Status.State);
        Assert.NotEmpty(Directory.GetFiles(dir.Combine("wal"), "*", SearchOption.AllDirectories));
        Assert.NotEmpty(Directory.GetFiles(dir.Combine("main", "tenants", "a", "orders", "compacted"), "*.sst"));
        await using var reopened = await Db.Builder("tenants/a/orders", new LocalFileSystemObjectStore(dir.Combine("main")))
            .WithWalObjectStore(ObjectStores.FromUri(FileUri(dir.Combine("wal"))))
            .BuildAsync();
        Assert.Equal("paid"u8.ToArray(), await reopened.GetAsync("order:1"));
    }

    [Fact]
    public async Task Several_databases_are_keyed_by_name_and_the_configure_delegate_wins_over_configuration()
    {
        var events = new InMemoryObjectStore();
        var config = new Dictionary<string, string?> { ["SlateDb:orders:StoreUri"] = "memory://orders", ["SlateDb:events:StoreUri"] = "memory://ignored" };
        using var host = Build(config, s => s.AddSlateDb("orders").AddSlateDb("events", o => o.Store = events));
        await host.StartAsync();

        var orders = host.Services.GetRequiredKeyedService<Db>("orders");
        var eventsDb = host.Services.GetRequiredKeyedService<Db>("events");
        Assert.NotSame(orders, eventsDb);
        Assert.Same(orders, host.Services.GetRequiredService<Db>());
        await eventsDb.PutAsync("e:1", "x");
        Assert.Null(await orders.GetAsync("e:1"));
        var listed = 0;
        await foreach (var _ in events.ListAsync("events/"))
        {
            listed++;
        }

        Assert.True(listed > 0, "the events database lives in the store given by the configure delegate");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_hosted_service_that_takes_the_database_in_its_constructor_gets_it_open()
    {
        var config = new Dictionary<string, string?> { ["SlateDb:orders:StoreUri"] = "memory://" };
        using var host = Build(config, s => s.AddSlateDb("orders").AddHostedService<UsesDb>());

        var user = host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<UsesDb>().Single();
        Assert.Equal(DbLifecycleState.Open, user.Db.Status.State);
        await host.StartAsync();
        Assert.Same(user.Db, host.Services.GetRequiredKeyedService<Db>("orders"));
        await host.StopAsync();
        Assert.Equal(DbLifecycleState.Closed, user.Db.Status.State);
        var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredKeyedService<SlateDbInstance>("orders").Db);
        Assert.Contains("'orders' is closed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddSlateDbReader_registers_a_read_replica_that_follows_the_writer()
    {
        var store = new InMemoryObjectStore();
        using var host = Build([], s => s
            .AddSlateDb("orders", o => o.Store = store)
            .AddSlateDbReader("orders-replica", o =>
            {
                o.Store = store;
                o.Path = "orders";
            }));
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<Db>();
        var replica = host.Services.GetRequiredKeyedService<DbReader>("orders-replica");
        Assert.Same(replica, host.Services.GetRequiredService<DbReader>());

        await writer.PutAsync("order:1", "paid");
        await replica.RefreshAsync();
        Assert.Equal("paid"u8.ToArray(), await replica.GetAsync("order:1"));
        await host.StopAsync();
        Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredKeyedService<SlateDbInstance>("orders-replica").Reader);
    }

    [Fact]
    public async Task A_database_without_a_store_fails_the_start_naming_the_configuration_key()
    {
        using var host = Build([], s => s.AddSlateDb("orders"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("SlateDb:orders:StoreUri", error.Message, StringComparison.Ordinal);
        var resolved = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<Db>());
        Assert.Contains("SlateDb:orders:StoreUri", resolved.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_setting_out_of_range_fails_the_start_naming_the_setting()
    {
        var config = new Dictionary<string, string?> { ["SlateDb:orders:StoreUri"] = "memory://", ["SlateDb:orders:Settings:BlockSize"] = "1" };
        using var host = Build(config, s => s.AddSlateDb("orders"));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.StartAsync());
        Assert.Contains("BlockSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registering_one_name_twice_is_refused()
    {
        var services = new ServiceCollection().AddSlateDb("orders");

        var error = Assert.Throws<ArgumentException>(() => services.AddSlateDb("orders"));
        Assert.Contains("'orders' is already registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_health_check_reports_not_open_healthy_degraded_when_the_wal_stalls_and_unhealthy_when_fenced()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        using var host = Build(
            [],
            s =>
            {
                s.AddSlateDb("orders", o =>
                {
                    o.Store = store;
                    o.Settings = new Settings { FlushInterval = TimeSpan.FromDays(1), ManifestPollInterval = TimeSpan.FromDays(1), Gc = null };
                    o.WalStallThreshold = TimeSpan.FromSeconds(30);
                });
                s.AddHealthChecks().AddSlateDb("orders");
            },
            clock);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var before = (await health.CheckHealthAsync()).Entries["slatedb-orders"];
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Contains("not open yet", before.Description, StringComparison.Ordinal);

        await host.StartAsync();
        var db = host.Services.GetRequiredService<Db>();
        var open = (await health.CheckHealthAsync()).Entries["slatedb-orders"];
        Assert.Equal(HealthStatus.Healthy, open.Status);
        Assert.Equal("Open", open.Data["state"]);
        Assert.Equal(false, open.Data["pendingWrites"]);

        await db.PutAsync("k", "v", new WriteOptions { AwaitDurable = false });
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
        clock.Advance(TimeSpan.FromSeconds(2));
        var stalled = (await health.CheckHealthAsync()).Entries["slatedb-orders"];
        Assert.Equal(HealthStatus.Degraded, stalled.Status);
        Assert.Equal(31.0, stalled.Data["lastDurableWalWriteAgeSeconds"]);
        Assert.Equal(true, stalled.Data["pendingWrites"]);

        await db.FlushAsync();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        await using (await Db.Builder("orders", store).WithTimeProvider(clock).WithSeed(2).BuildAsync())
        {
            await db.PutAsync("k2", "v2", new WriteOptions { AwaitDurable = false });
            await Assert.ThrowsAsync<FencedException>(() => db.FlushAsync());
            var fenced = (await health.CheckHealthAsync()).Entries["slatedb-orders"];
            Assert.Equal(HealthStatus.Unhealthy, fenced.Status);
            Assert.Equal("Fenced", fenced.Data["state"]);
            Assert.IsType<FencedException>(fenced.Exception);
        }

        await host.StopAsync();
        Assert.Contains("closed", (await health.CheckHealthAsync()).Entries["slatedb-orders"].Description, StringComparison.Ordinal);
    }

    private sealed class UsesDb(Db db) : Microsoft.Extensions.Hosting.BackgroundService
    {
        public Db Db { get; } = db;

        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
