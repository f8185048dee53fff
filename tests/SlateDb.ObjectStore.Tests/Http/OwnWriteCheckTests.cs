using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace SlateDb.ObjectStore.Tests.Http;

/// <summary>How a conflict on a retried put is decided: only a definite answer of the HEAD counts.</summary>
public sealed class OwnWriteCheckTests
{
    private const string Path = "wal/00000000000000000007.sst";
    private const string OurPutId = "put-ours";

    [Fact]
    public async Task A_transient_HEAD_failure_is_retried_on_the_clock_and_our_write_is_recognised()
    {
        var (faults, conflict) = await StoreWithObjectAsync(OurPutId);
        faults.FailWhen(c => c.Operation == ObjectStoreOperation.Head, transient: true, times: 2);
        var time = new TimerCountingTimeProvider();

        var check = OwnWriteCheck.OwnWriteOrThrowAsync(conflict, faults, Path, new PutOptions { PutId = OurPutId }, time, default);

        // Two failed HEADs, each followed by a wait on the injected clock: the first FirstDelay, the second twice it.
        await time.AdvanceAfterNextTimerAsync(OwnWriteCheck.FirstDelay, check);
        await time.AdvanceAfterNextTimerAsync(OwnWriteCheck.FirstDelay * 2, check);
        var meta = await check;
        Assert.Equal(OurPutId, meta.PutId);
        Assert.Equal(3, faults.CallCount);
    }

    [Fact]
    public async Task A_HEAD_that_keeps_failing_transiently_surfaces_a_transient_error_not_the_conflict()
    {
        var (faults, conflict) = await StoreWithObjectAsync(OurPutId);
        faults.FailWhen(c => c.Operation == ObjectStoreOperation.Head, transient: true);
        var time = new TimerCountingTimeProvider();

        var check = OwnWriteCheck.OwnWriteOrThrowAsync(conflict, faults, Path, new PutOptions { PutId = OurPutId }, time, default);
        var delay = OwnWriteCheck.FirstDelay;
        for (var retry = 1; retry < OwnWriteCheck.MaxAttempts; retry++)
        {
            await time.AdvanceAfterNextTimerAsync(delay, check);
            delay *= 2;
        }

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => check);
        Assert.True(error.IsTransient);
        Assert.Contains("outcome is unknown", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path, error.Message, StringComparison.Ordinal);
        Assert.Equal(OwnWriteCheck.MaxAttempts, faults.CallCount);
    }

    [Fact]
    public async Task A_permanent_HEAD_failure_is_not_read_as_the_conflict()
    {
        var (faults, conflict) = await StoreWithObjectAsync(OurPutId);
        faults.FailWhen(c => c.Operation == ObjectStoreOperation.Head, transient: false);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(
            () => OwnWriteCheck.OwnWriteOrThrowAsync(conflict, faults, Path, new PutOptions { PutId = OurPutId }, new FakeTimeProvider(), default));
        Assert.IsNotType<ObjectAlreadyExistsException>(error);
        Assert.False(error.IsTransient);
        Assert.Equal(1, faults.CallCount);
    }

    [Fact]
    public async Task Another_writers_object_or_a_missing_one_is_a_real_conflict()
    {
        var (other, conflict) = await StoreWithObjectAsync("put-theirs");
        var thrown = await Assert.ThrowsAsync<ObjectAlreadyExistsException>(
            () => OwnWriteCheck.OwnWriteOrThrowAsync(conflict, other, Path, new PutOptions { PutId = OurPutId }, new FakeTimeProvider(), default));
        Assert.Same(conflict, thrown);

        var empty = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        var failed = new PreconditionFailedException(Path, empty.Uri, "etag-1");
        Assert.Same(failed, await Assert.ThrowsAsync<PreconditionFailedException>(
            () => OwnWriteCheck.OwnWriteOrThrowAsync(failed, empty, Path, new PutOptions { PutId = OurPutId }, new FakeTimeProvider(), default)));
    }

    private static async Task<(FaultInjectingObjectStore Store, ObjectAlreadyExistsException Conflict)> StoreWithObjectAsync(string putId)
    {
        var inner = new InMemoryObjectStore();
        await inner.PutAsync(Path, "sst"u8.ToArray(), PutMode.Create, new PutOptions { PutId = putId });
        return (new FaultInjectingObjectStore(inner, seed: 1), new ObjectAlreadyExistsException(Path, inner.Uri));
    }
}
