using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace SlateDb.ObjectStore.Tests.Wrappers;

public sealed class FaultInjectingObjectStoreTests
{
    [Fact]
    public async Task FailCall_before_applying_leaves_the_store_untouched()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(inner, seed: 1).FailCall(2);

        await faults.PutAsync("a", "1"u8.ToArray(), PutMode.Create);
        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => faults.PutAsync("b", "2"u8.ToArray(), PutMode.Create));
        Assert.True(ex.IsTransient);
        Assert.Equal("b", ex.Path);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => inner.HeadAsync("b"));

        await faults.PutAsync("b", "2"u8.ToArray(), PutMode.Create);   // call 3 is not affected
        Assert.Equal(3, faults.CallCount);
    }

    [Fact]
    public async Task FailCall_after_applying_lets_the_write_land()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(inner, seed: 1).FailCall(1, afterApplying: true, transient: false);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => faults.PutAsync("a", "1"u8.ToArray(), PutMode.Create));
        Assert.False(ex.IsTransient);
        Assert.Contains("after the call took effect", ex.Message, StringComparison.Ordinal);
        Assert.Equal("1"u8.ToArray(), (await inner.GetAsync("a")).Bytes.ToArray());
    }

    [Fact]
    public async Task FailWhen_sees_operation_path_mode_and_call_number_and_honours_times()
    {
        var seen = new List<FaultContext>();
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1)
            .FailWhen(
                ctx =>
                {
                    seen.Add(ctx);
                    return ctx.Operation == ObjectStoreOperation.Put && ctx.Mode == PutMode.Create;
                },
                times: 1);

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => faults.HeadAsync("w/1"));
        await Assert.ThrowsAsync<ObjectStoreException>(() => faults.PutAsync("w/1", "x"u8.ToArray(), PutMode.Create));
        await faults.PutAsync("w/1", "x"u8.ToArray(), PutMode.Create);   // the rule fired its one time and is done
        await foreach (var _ in faults.ListAsync("w/"))
        {
        }

        Assert.Equal(
            [
                new FaultContext(ObjectStoreOperation.Head, "w/1", null, 1),
                new FaultContext(ObjectStoreOperation.Put, "w/1", PutMode.Create, 2),
            ],
            seen);
        Assert.Equal(4, faults.CallCount);
    }

    [Fact]
    public async Task CrashAtCall_fails_that_call_and_every_later_one()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(inner, seed: 1).CrashAtCall(2);

        await faults.PutAsync("a", "1"u8.ToArray(), PutMode.Create);
        Assert.False(faults.IsCrashed);
        var crash = await Assert.ThrowsAsync<SimulatedCrashException>(() => faults.PutAsync("b", "2"u8.ToArray(), PutMode.Create));
        Assert.Equal(2, crash.CallNumber);
        Assert.False(crash.IsTransient);
        Assert.True(faults.IsCrashed);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => faults.GetAsync("a"));
        await Assert.ThrowsAsync<SimulatedCrashException>(async () =>
        {
            await foreach (var _ in faults.ListAsync(""))
            {
            }
        });
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => inner.HeadAsync("b"));
    }

    [Fact]
    public async Task CrashAtCall_after_applying_lets_that_write_land()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(inner, seed: 1).CrashAtCall(1, afterApplying: true);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => faults.PutAsync("a", "1"u8.ToArray(), PutMode.Create));
        Assert.Equal("1"u8.ToArray(), (await inner.GetAsync("a")).Bytes.ToArray());
        await Assert.ThrowsAsync<SimulatedCrashException>(() => faults.DeleteAsync("a"));
        await inner.HeadAsync("a");   // the delete after the crash never happened
    }

    [Fact]
    public async Task Crash_now_fails_every_later_call()
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        await faults.PutAsync("a", "1"u8.ToArray(), PutMode.Create);
        faults.Crash();
        Assert.True(faults.IsCrashed);
        var ex = await Assert.ThrowsAsync<SimulatedCrashException>(() => faults.CopyAsync("a", "b"));
        Assert.Equal(2, ex.CallNumber);
    }

    [Fact]
    public async Task Random_failures_are_the_same_for_the_same_seed()
    {
        async Task<List<long>> FailedCallsAsync(int seed)
        {
            var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed).FailRandomly(0.5);
            var failed = new List<long>();
            for (var i = 1; i <= 64; i++)
            {
                try
                {
                    await faults.PutAsync($"k{i}", "v"u8.ToArray(), PutMode.Overwrite);
                }
                catch (ObjectStoreException)
                {
                    failed.Add(i);
                }
            }

            return failed;
        }

        var first = await FailedCallsAsync(42);
        Assert.Equal(first, await FailedCallsAsync(42));
        Assert.InRange(first.Count, 10, 54);
        Assert.NotEqual(first, await FailedCallsAsync(43));
    }

    [Fact]
    public async Task Latency_waits_on_the_time_provider_within_the_bounds()
    {
        var time = new FakeTimeProvider();
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1, time)
            .AddLatency(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200));

        var put = faults.PutAsync("a", "1"u8.ToArray(), PutMode.Create);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(put.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(101));
        await put;
    }

    [Fact]
    public async Task ClearFaults_removes_rules_but_not_a_crash()
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1).FailWhen(_ => true);
        await Assert.ThrowsAsync<ObjectStoreException>(() => faults.HeadAsync("a"));
        faults.ClearFaults();
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => faults.HeadAsync("a"));
        faults.Crash().ClearFaults();
        await Assert.ThrowsAsync<SimulatedCrashException>(() => faults.HeadAsync("a"));
    }

    [Fact]
    public void Arguments_are_validated()
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.FailCall(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.CrashAtCall(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.FailRandomly(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.AddLatency(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.FailWhen(_ => true, times: 0));
    }
}
