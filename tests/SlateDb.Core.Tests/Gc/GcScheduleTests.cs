using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SlateDb.Core.Tests.Db;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;
using static SlateDb.Core.Tests.Gc.GcKit;

namespace SlateDb.Core.Tests.Gc;

/// <summary>The collector an open database runs on its own schedule.</summary>
public sealed class GcScheduleTests
{
    [Fact]
    public async Task The_database_collects_on_its_interval_and_a_failed_run_is_logged_and_retried_not_fatal()
    {
        var time = Clock();
        var store = new InMemoryObjectStore(null, time);
        var logs = new CapturingLoggerFactory();
        var settings = new Settings
        {
            ManifestPollInterval = TimeSpan.FromHours(1),
            Gc = new GcSettings { Interval = TimeSpan.FromMinutes(1), MinAge = TimeSpan.Zero },
        };
        var db = await OpenAsync(store, settings, time, logs: logs);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        time.Advance(TimeSpan.FromSeconds(1));
        var oldPath = await RewriteL0Async(db, store, time);

        // A checkpoint pinning a manifest that does not exist makes every run fail before it deletes anything.
        var bogus = Guid.NewGuid();
        await db.Engine.ManifestKeeper.UpdateAsync(m =>
        {
            m.Checkpoints.Add(new Checkpoint { Id = Uuid.FromGuid(bogus), ManifestId = 999_999 });
            return m;
        });
        time.Advance(TimeSpan.FromMinutes(1));
        await EventuallyAsync(() => logs.Messages.Any(m => m.Level == LogLevel.Warning && m.Message.Contains("garbage collection failed", StringComparison.Ordinal)), "a run failed");
        Assert.True(await ExistsAsync(store, oldPath));
        await db.PutAsync(K(2), V(2), NoWait);

        await db.Engine.ManifestKeeper.UpdateAsync(m => SlateDb.Checkpoints.ManifestCheckpoints.Remove(m, bogus) ? m : null);
        time.Advance(TimeSpan.FromMinutes(1));
        await EventuallyAsync(() => logs.Contains("1 compacted SSTs"), "a run deleted the old SST");

        Assert.False(await ExistsAsync(store, oldPath));
        Assert.Equal(V(1), await db.GetAsync(K(1)));
        Assert.Equal(V(2), await db.GetAsync(K(2)));
        await db.CloseAsync();
    }

    [Fact]
    public void Gc_settings_bind_from_configuration_are_copied_and_validated()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Gc:Interval"] = "00:02:00", ["Gc:MinAge"] = "00:30:00" })
            .Build();
        var settings = Settings.FromConfiguration(config);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.Gc!.Interval);
        Assert.Equal(TimeSpan.FromMinutes(30), settings.Gc.MinAge);

        var copy = settings.Clone();
        settings.Gc.Interval = TimeSpan.FromHours(1);
        Assert.Equal(TimeSpan.FromMinutes(2), copy.Gc!.Interval);

        var e = Assert.Throws<ArgumentException>(() => new Settings { Gc = new GcSettings { MinAge = TimeSpan.FromSeconds(-1) } }.Validate());
        Assert.Contains("Gc.MinAge", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Settings { Gc = new GcSettings { Interval = TimeSpan.Zero } }.Validate());
    }
}
