using Xunit;

namespace SlateDb.ObjectStore.Tests.Wrappers;

public sealed class ObjectStoreToxicTests
{
    [Fact]
    public async Task A_toxics_decisions_on_a_path_do_not_depend_on_calls_to_other_paths()
    {
        // The same calls on "a", once alone and once interleaved with calls on other paths.
        var alone = await FailuresOnAAsync(interleave: false);
        var interleaved = await FailuresOnAAsync(interleave: true);
        Assert.Equal(alone, interleaved);
        Assert.Contains(true, alone);
        Assert.Contains(false, alone);
    }

    private static async Task<List<bool>> FailuresOnAAsync(bool interleave)
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 5)
            .AddToxic(new ObjectStoreToxic(ToxicKind.FailBefore, 0.5) { MaxPerPath = 1000 });
        var failures = new List<bool>();
        for (var i = 0; i < 40; i++)
        {
            if (interleave)
            {
                await Record.ExceptionAsync(() => faults.PutAsync($"other-{i % 3}", "x"u8.ToArray(), PutMode.Overwrite));
            }

            failures.Add(await Record.ExceptionAsync(() => faults.PutAsync("a", "x"u8.ToArray(), PutMode.Overwrite)) is not null);
        }

        return failures;
    }

    [Fact]
    public async Task A_failing_toxic_strikes_a_path_at_most_MaxPerPath_times_and_only_the_operations_and_prefix_it_selects()
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1)
            .AddToxic(new ObjectStoreToxic(ToxicKind.FailBefore, 1.0) { Operations = [ObjectStoreOperation.Put], PathPrefix = "wal/", MaxPerPath = 2 });

        for (var i = 0; i < 2; i++)
        {
            var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => faults.PutAsync("wal/1", "x"u8.ToArray(), PutMode.Create));
            Assert.True(ex.IsTransient);
        }

        await faults.PutAsync("wal/1", "x"u8.ToArray(), PutMode.Create);
        await faults.PutAsync("sst/1", "x"u8.ToArray(), PutMode.Create);
        await faults.GetAsync("wal/1");
        Assert.Equal(2, faults.ToxicStrikes);
    }

    [Fact]
    public async Task A_fail_after_toxic_lets_the_call_take_effect()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(inner, seed: 1).AddToxic(new ObjectStoreToxic(ToxicKind.FailAfter, 1.0) { MaxPerPath = 1 });

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => faults.PutAsync("a", "1"u8.ToArray(), PutMode.Create));
        Assert.True(ex.IsTransient);
        Assert.Equal("1"u8.ToArray(), (await inner.GetAsync("a")).Bytes.ToArray());
    }

    [Fact]
    public async Task A_torn_listing_stops_early_with_a_transient_error_and_a_retrying_store_resumes_it()
    {
        var inner = new InMemoryObjectStore();
        for (var i = 0; i < 10; i++)
        {
            await inner.PutAsync($"p/{i}", "x"u8.ToArray(), PutMode.Create);
        }

        var faults = new FaultInjectingObjectStore(inner, seed: 3).AddToxic(new ObjectStoreToxic(ToxicKind.TornListing, 1.0) { MaxPerPath = 1 });
        var seen = new List<string>();
        var ex = await Record.ExceptionAsync(async () =>
        {
            await foreach (var meta in faults.ListAsync("p/"))
            {
                seen.Add(meta.Path);
            }
        });
        var torn = Assert.IsType<ObjectStoreException>(ex);
        Assert.True(torn.IsTransient);
        Assert.InRange(seen.Count, 0, 3);

        var retrying = new RetryingObjectStore(new FaultInjectingObjectStore(inner, seed: 3).AddToxic(new ObjectStoreToxic(ToxicKind.TornListing, 1.0) { MaxPerPath = 1 }), new RetryOptions { InitialDelay = TimeSpan.Zero });
        var all = new List<string>();
        await foreach (var meta in retrying.ListAsync("p/"))
        {
            all.Add(meta.Path);
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"p/{i}"), all);
    }

    [Fact]
    public void Toxic_values_out_of_range_are_refused_by_name()
    {
        var store = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        Assert.Equal("Probability", Assert.Throws<ArgumentOutOfRangeException>(() => store.AddToxic(new ObjectStoreToxic(ToxicKind.FailBefore, 1.5))).ParamName);
        Assert.Equal("MaxPerPath", Assert.Throws<ArgumentOutOfRangeException>(() => store.AddToxic(new ObjectStoreToxic(ToxicKind.FailBefore, 0.5) { MaxPerPath = 0 })).ParamName);
        Assert.Equal("MaxLatency", Assert.Throws<ArgumentOutOfRangeException>(() => store.AddToxic(new ObjectStoreToxic(ToxicKind.Latency, 0.5) { MaxLatency = TimeSpan.FromSeconds(-1) })).ParamName);
    }
}
