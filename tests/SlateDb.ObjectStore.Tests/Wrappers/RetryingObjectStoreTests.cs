using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace SlateDb.ObjectStore.Tests.Wrappers;

public sealed class RetryingObjectStoreTests
{
    private static readonly RetryOptions NoWait = new() { MaxAttempts = 4, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };

    [Fact]
    public async Task Succeeds_after_transient_failures()
    {
        var inner = new InMemoryObjectStore();
        await inner.PutAsync("k", "v"u8.ToArray(), PutMode.Overwrite);
        var faults = new FaultInjectingObjectStore(inner, seed: 1).FailCall(1).FailCall(2);
        var retrying = new RetryingObjectStore(faults, NoWait, seed: 1);

        var data = await retrying.GetAsync("k");
        Assert.Equal("v"u8.ToArray(), data.Bytes.ToArray());
        Assert.Equal(3, faults.CallCount);
    }

    [Fact]
    public async Task Gives_up_after_MaxAttempts_with_the_last_transient_error()
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1).FailWhen(_ => true, transient: true);
        var retrying = new RetryingObjectStore(faults, NoWait, seed: 1);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => retrying.HeadAsync("k"));
        Assert.True(ex.IsTransient);
        Assert.Contains("store call 4", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, faults.CallCount);
    }

    [Fact]
    public async Task Does_not_retry_permanent_errors()
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1).FailCall(1, transient: false);
        var retrying = new RetryingObjectStore(faults, NoWait, seed: 1);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => retrying.PutAsync("k", "v"u8.ToArray(), PutMode.Overwrite));
        Assert.False(ex.IsTransient);
        Assert.Equal(1, faults.CallCount);
    }

    [Fact]
    public async Task Does_not_retry_not_found_or_argument_errors()
    {
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        var retrying = new RetryingObjectStore(faults, NoWait, seed: 1);

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => retrying.GetAsync("missing"));
        Assert.Equal(1, faults.CallCount);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => retrying.GetAsync("/bad"));
        Assert.Equal(2, faults.CallCount);
    }

    [Fact]
    public void Classifies_transient_exceptions()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.True(RetryingObjectStore.IsTransient(new ObjectStoreException("p", "s", "m", isTransient: true), default));
        Assert.False(RetryingObjectStore.IsTransient(new ObjectNotFoundException("p", "s"), default));
        Assert.True(RetryingObjectStore.IsTransient(new TimeoutException(), default));
        Assert.True(RetryingObjectStore.IsTransient(new HttpRequestException(), default));
        Assert.True(RetryingObjectStore.IsTransient(new TaskCanceledException(), default));        // an HTTP client timeout
        Assert.False(RetryingObjectStore.IsTransient(new TaskCanceledException(), cancelled.Token)); // the caller cancelled
        Assert.False(RetryingObjectStore.IsTransient(new IOException(), default));
        Assert.False(RetryingObjectStore.IsTransient(new InvalidOperationException(), default));
    }

    [Fact]
    public async Task Backoff_waits_on_the_time_provider()
    {
        var time = new TimerCountingTimeProvider();
        var inner = new InMemoryObjectStore();
        await inner.PutAsync("k", "v"u8.ToArray(), PutMode.Overwrite);
        using var calls = new SemaphoreSlim(0);
        var faults = new FaultInjectingObjectStore(inner, seed: 1)
            .FailWhen(_ =>
            {
                calls.Release();
                return false;
            })
            .FailCall(1)
            .FailCall(2);
        var options = new RetryOptions { MaxAttempts = 5, InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30) };
        var retrying = new RetryingObjectStore(faults, options, time, seed: 3);

        var get = retrying.GetAsync("k");
        Assert.True(await calls.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(get.IsCompleted);

        // The first retry waits at most 1 s, the second at most 2 s; the clock only moves when the test moves it. Each
        // move waits until the store has put its backoff on the clock: a move made before that would be lost, and the
        // retry would wait for a clock that never moves again.
        Assert.InRange(await time.NextTimerAsync(get), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await calls.WaitAsync(TimeSpan.FromSeconds(30)), "the first retry did not happen within the first backoff cap");
        Assert.False(get.IsCompleted);
        Assert.InRange(await time.NextTimerAsync(get), TimeSpan.Zero, TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));
        await get.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System);
        Assert.Equal(3, faults.CallCount);
    }

    [Fact]
    public void Backoff_is_full_jitter_under_a_doubling_cap()
    {
        var options = new RetryOptions { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        var retrying = new RetryingObjectStore(new InMemoryObjectStore(), options, seed: 5);
        for (var retry = 1; retry <= 70; retry++)
        {
            var cap = TimeSpan.FromMilliseconds(Math.Min(1000, 100 * Math.Pow(2, Math.Min(retry - 1, 20))));
            var delays = Enumerable.Range(0, 200).Select(_ => retrying.BackoffDelay(retry)).ToList();
            Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, cap));
            Assert.True(delays.Max() > cap * 0.8, $"retry {retry}: the jitter never came near the cap {cap} (seed 5)");
            Assert.True(delays.Min() < cap * 0.2, $"retry {retry}: the jitter never came near zero (seed 5)");
        }
    }

    [Fact]
    public async Task Cancellation_during_backoff_stops_retrying()
    {
        var time = new FakeTimeProvider();
        var faults = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1).FailWhen(_ => true);
        var retrying = new RetryingObjectStore(faults, new RetryOptions { InitialDelay = TimeSpan.FromSeconds(1) }, time, seed: 1);
        using var cancellation = new CancellationTokenSource();

        var head = retrying.HeadAsync("k", cancellation.Token);
        Assert.False(head.IsCompleted);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => head);
        Assert.Equal(1, faults.CallCount);
    }

    [Fact]
    public async Task Retried_create_that_landed_returns_its_own_object()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(inner, seed: 1).FailCall(1, afterApplying: true);
        var retrying = new RetryingObjectStore(faults, NoWait, seed: 1);

        var meta = await retrying.PutAsync("wal/1", "mine"u8.ToArray(), PutMode.Create);
        var stored = await inner.HeadAsync("wal/1");
        Assert.Equal(stored.ETag, meta.ETag);
        Assert.NotNull(stored.PutId);
        Assert.Equal(stored.PutId, meta.PutId);
    }

    [Fact]
    public async Task Retried_create_that_meets_someone_elses_object_is_a_conflict()
    {
        var inner = new InMemoryObjectStore();

        // The first attempt fails before reaching the store; meanwhile another writer creates the object.
        var faults = new FaultInjectingObjectStore(inner, seed: 1).FailWhen(ctx =>
        {
            if (ctx.CallNumber != 1)
            {
                return false;
            }

            inner.PutAsync("wal/1", "theirs"u8.ToArray(), PutMode.Create).GetAwaiter().GetResult();
            return true;
        });
        var retrying = new RetryingObjectStore(faults, NoWait, seed: 1);

        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => retrying.PutAsync("wal/1", "mine"u8.ToArray(), PutMode.Create));
        Assert.Equal("theirs"u8.ToArray(), (await inner.GetAsync("wal/1")).Bytes.ToArray());
        Assert.Equal(3, faults.CallCount);   // put, put again, head
    }

    [Fact]
    public async Task First_attempt_conflict_is_thrown_without_a_head()
    {
        var inner = new InMemoryObjectStore();
        await inner.PutAsync("wal/1", "theirs"u8.ToArray(), PutMode.Create, new PutOptions { PutId = "same-id" });
        var faults = new FaultInjectingObjectStore(inner, seed: 1);
        var retrying = new RetryingObjectStore(faults, NoWait, seed: 1);

        // Even the caller's own put id does not turn a first-attempt conflict into success.
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(
            () => retrying.PutAsync("wal/1", "mine"u8.ToArray(), PutMode.Create, new PutOptions { PutId = "same-id" }));
        Assert.Equal(1, faults.CallCount);
    }

    [Fact]
    public async Task Retried_update_recognises_its_own_write_and_rejects_anothers()
    {
        var inner = new InMemoryObjectStore();
        var v1 = await inner.PutAsync("manifest", "v1"u8.ToArray(), PutMode.Create);

        var landed = new FaultInjectingObjectStore(inner, seed: 1).FailCall(1, afterApplying: true);
        var v2 = await new RetryingObjectStore(landed, NoWait, seed: 1).PutAsync("manifest", "v2"u8.ToArray(), PutMode.Update(v1.ETag));
        Assert.Equal((await inner.HeadAsync("manifest")).ETag, v2.ETag);

        var raced = new FaultInjectingObjectStore(inner, seed: 2).FailWhen(ctx =>
        {
            if (ctx.CallNumber != 1)
            {
                return false;
            }

            inner.PutAsync("manifest", "theirs"u8.ToArray(), PutMode.Update(v2.ETag)).GetAwaiter().GetResult();
            return true;
        });
        await Assert.ThrowsAsync<PreconditionFailedException>(
            () => new RetryingObjectStore(raced, NoWait, seed: 2).PutAsync("manifest", "v3"u8.ToArray(), PutMode.Update(v2.ETag)));
        Assert.Equal("theirs"u8.ToArray(), (await inner.GetAsync("manifest")).Bytes.ToArray());
    }

    [Fact]
    public async Task Put_ids_are_the_callers_or_fresh_and_seeded()
    {
        async Task<string?[]> PutIdsAsync(int? seed, string? callerId)
        {
            var inner = new InMemoryObjectStore();
            var retrying = new RetryingObjectStore(inner, NoWait, seed: seed);
            await retrying.PutAsync("a", "1"u8.ToArray(), PutMode.Create, new PutOptions { PutId = callerId });
            var a = await inner.HeadAsync("a");
            await retrying.PutAsync("a", "2"u8.ToArray(), PutMode.Update(a.ETag));
            var b = await inner.HeadAsync("a");
            await retrying.PutAsync("c", "3"u8.ToArray(), PutMode.Overwrite);
            return [a.PutId, b.PutId, (await inner.HeadAsync("c")).PutId];
        }

        var seeded = await PutIdsAsync(9, null);
        Assert.Equal(seeded, await PutIdsAsync(9, null));
        Assert.NotEqual(seeded[0], seeded[1]);
        Assert.Equal(32, seeded[0]!.Length);
        Assert.Null(seeded[2]);   // an overwrite needs no put id

        var unseeded = await PutIdsAsync(null, null);
        Assert.NotEqual(unseeded[0], (await PutIdsAsync(null, null))[0]);

        Assert.Equal("caller's id", (await PutIdsAsync(9, "caller's id"))[0]);
    }

    [Fact]
    public async Task Listing_resumes_after_the_last_yielded_path_without_duplicates()
    {
        var inner = new InMemoryObjectStore();
        for (var i = 0; i < 10; i++)
        {
            await inner.PutAsync($"k{i}", "v"u8.ToArray(), PutMode.Overwrite);
        }

        var flaky = new ListFailsAfterItems(inner, failAfter: 4, failures: 2);
        var retrying = new RetryingObjectStore(flaky, NoWait, seed: 1);
        var paths = new List<string>();
        await foreach (var meta in retrying.ListAsync(""))
        {
            paths.Add(meta.Path);
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"k{i}"), paths);
        Assert.Equal([null, "k3", "k7"], flaky.StartAfters);
    }

    [Fact]
    public void Options_are_validated()
    {
        var inner = new InMemoryObjectStore();
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryingObjectStore(inner, new RetryOptions { MaxAttempts = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryingObjectStore(inner, new RetryOptions { InitialDelay = TimeSpan.FromSeconds(-1) }));
    }

    /// <summary>Fails the first <c>failures</c> listings with a transient error after <c>failAfter</c> items.</summary>
    private sealed class ListFailsAfterItems(InMemoryObjectStore inner, int failAfter, int failures) : IObjectStore
    {
        private int _failuresLeft = failures;

        public List<string?> StartAfters { get; } = [];

        public string Uri => inner.Uri;

        public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            StartAfters.Add(startAfter);
            var yielded = 0;
            await foreach (var meta in inner.ListAsync(prefix, startAfter, cancellationToken))
            {
                if (yielded == failAfter && _failuresLeft > 0)
                {
                    _failuresLeft--;
                    throw new ObjectStoreException(prefix, Uri, "connection reset", isTransient: true);
                }

                yielded++;
                yield return meta;
            }
        }

        public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default) => inner.GetAsync(path, range, cancellationToken);

        public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default) => inner.HeadAsync(path, cancellationToken);

        public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default) => inner.PutAsync(path, data, mode, cancellationToken);

        public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default) => inner.PutAsync(path, data, mode, options, cancellationToken);

        public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

        public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default) => inner.CopyAsync(from, to, cancellationToken);
    }
}
