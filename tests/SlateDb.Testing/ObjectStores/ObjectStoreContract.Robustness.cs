using System.Text;
using SlateDb.ObjectStore;
using SlateDb.Testing.Xunit;
using Xunit;

namespace SlateDb.Testing.ObjectStores;

/// <summary>Large objects and retried conditional writes.</summary>
public abstract partial class ObjectStoreContract
{
    [SkippableFact]
    public async Task Large_object_round_trips()
    {
        SkipIfUnavailable();
        var size = checked((int)LargeObjectSize);
        var expectedHash = await PutLargeObjectAsync(size);
        GC.Collect();
        Assert.Equal(size, (await Store.HeadAsync("large/object.bin")).Size);

        var (metaSize, length, hash) = await ReadLargeObjectAsync();
        Assert.Equal(size, metaSize);
        Assert.Equal(size, length);
        Assert.Equal(expectedHash, hash);
        GC.Collect();

        // A range at the end of the large object reads just the bytes that exist.
        var tail = await Store.GetAsync("large/object.bin", new ByteRange(size - 10, 100));
        Assert.Equal(10, tail.Bytes.Length);
    }

    /// <summary>Writes the large object from one buffer that is garbage once this returns; returns its hash.</summary>
    private async Task<string> PutLargeObjectAsync(int size)
    {
        var data = GC.AllocateUninitializedArray<byte>(size);
        new Random(6).NextBytes(data);
        var put = await Store.PutAsync("large/object.bin", data, PutMode.Create);
        Assert.Equal(size, put.Size);
        return Sha256Hex(data);
    }

    private async Task<(long MetaSize, int Length, string Hash)> ReadLargeObjectAsync()
    {
        var got = await Store.GetAsync("large/object.bin");
        return (got.Meta.Size, got.Bytes.Length, Sha256Hex(got.Bytes.Span));
    }

    [SkippableFact]
    public async Task Retried_create_whose_first_attempt_landed_is_not_a_conflict()
    {
        SkipIfUnavailable();

        // The first put reaches the store, then its reply is lost (a transient failure after the write took effect).
        var faults = new FaultInjectingObjectStore(Store, seed: 7).FailCall(1, afterApplying: true, transient: true);
        var retrying = new RetryingObjectStore(faults, new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero }, seed: 7);

        var meta = await retrying.PutAsync("retry/wal/00000000000000000001.sst", Utf8("landed once"), PutMode.Create);
        Assert.Equal("retry/wal/00000000000000000001.sst", meta.Path);
        Assert.True(faults.CallCount >= 2, $"the put and its retry reach the store, calls: {faults.CallCount}");
        Assert.Equal("landed once", Encoding.UTF8.GetString((await Store.GetAsync("retry/wal/00000000000000000001.sst")).Bytes.Span));

        // Someone else's object at the path is still a conflict.
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(
            () => retrying.PutAsync("retry/wal/00000000000000000001.sst", Utf8("second writer"), PutMode.Create));
    }

    [SkippableFact]
    public async Task Retried_update_whose_first_attempt_landed_is_not_a_conflict()
    {
        SkipIfUnavailable();
        var v1 = await Store.PutAsync("retry/manifest", Utf8("v1"), PutMode.Create);

        var faults = new FaultInjectingObjectStore(Store, seed: 8).FailCall(1, afterApplying: true, transient: true);
        var retrying = new RetryingObjectStore(faults, new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero }, seed: 8);

        var v2 = await retrying.PutAsync("retry/manifest", Utf8("v2"), PutMode.Update(v1.ETag));
        Assert.NotEqual(v1.ETag, v2.ETag);
        var got = await Store.GetAsync("retry/manifest");
        Assert.Equal("v2", Encoding.UTF8.GetString(got.Bytes.Span));
        Assert.Equal(v2.ETag, got.Meta.ETag);

        // A stale etag is still a conflict.
        await Assert.ThrowsAsync<PreconditionFailedException>(() => retrying.PutAsync("retry/manifest", Utf8("v3"), PutMode.Update(v1.ETag)));
    }
}
