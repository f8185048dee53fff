using System.Security.Cryptography;
using System.Text;
using SlateDb.ObjectStore;
using SlateDb.Testing.Xunit;
using Xunit;

namespace SlateDb.Testing.ObjectStores;

/// <summary>
/// The behaviour every <see cref="IObjectStore"/> must show. A store's test class derives from this and supplies a
/// fresh, empty store per test; every test here then runs against it. Subclasses for servers that may be absent
/// return a <see cref="SkipReason"/>, which reports every test as skipped instead of failed.
/// </summary>
public abstract partial class ObjectStoreContract : IAsyncLifetime
{
    private IObjectStore? _store;

    /// <summary>The store under test, created for this test by <see cref="CreateStoreAsync"/>.</summary>
    protected IObjectStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>The size used by the large-object test; default 64 MiB + 1 KiB.</summary>
    protected virtual long LargeObjectSize => (64L * 1024 * 1024) + 1024;

    /// <summary>How many writers race to create one object.</summary>
    protected virtual int ConcurrentCreators => 16;

    /// <summary>How many puts run at once when a test fills the store with many objects.</summary>
    protected virtual int FillParallelism => 32;

    /// <summary>Non-null when the store cannot be used here (e.g. its server is unreachable): every test is skipped with this reason.</summary>
    protected virtual string? SkipReason => null;

    /// <summary>A fresh, empty store for one test (e.g. a new temp folder, or a unique key prefix on a server).</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync();

    /// <summary>Releases what <see cref="CreateStoreAsync"/> made; by default disposes the store if it is disposable.</summary>
    protected virtual async Task DisposeStoreAsync(IObjectStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    public async Task InitializeAsync()
    {
        if (SkipReason is null)
        {
            _store = await CreateStoreAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_store is { } store)
        {
            _store = null;
            await DisposeStoreAsync(store);
        }
    }

    /// <summary>Skips the test when <see cref="SkipReason"/> says so; every contract test starts with it.</summary>
    protected void SkipIfUnavailable() => Skip.If(SkipReason is not null, SkipReason);

    [SkippableFact]
    public async Task Put_then_get_returns_the_bytes_and_the_same_metadata()
    {
        SkipIfUnavailable();
        var data = RandomBytes(1000, seed: 1);
        var put = await Store.PutAsync("a/b/c.bin", data, PutMode.Overwrite);
        Assert.Equal("a/b/c.bin", put.Path);
        Assert.Equal(1000, put.Size);
        Assert.False(string.IsNullOrEmpty(put.ETag));

        var got = await Store.GetAsync("a/b/c.bin");
        Assert.Equal(data, got.Bytes.ToArray());
        Assert.Equal("a/b/c.bin", got.Meta.Path);
        Assert.Equal(1000, got.Meta.Size);
        Assert.Equal(put.ETag, got.Meta.ETag);
    }

    [SkippableFact]
    public async Task Overwrite_replaces_the_bytes_and_changes_the_etag()
    {
        SkipIfUnavailable();
        var first = await Store.PutAsync("obj", Utf8("first version"), PutMode.Overwrite);
        var second = await Store.PutAsync("obj", Utf8("second"), PutMode.Overwrite);
        Assert.NotEqual(first.ETag, second.ETag);

        var got = await Store.GetAsync("obj");
        Assert.Equal("second", Encoding.UTF8.GetString(got.Bytes.Span));
        Assert.Equal(6, got.Meta.Size);
        Assert.Equal(second.ETag, got.Meta.ETag);
    }

    [SkippableFact]
    public async Task Empty_object_can_be_put_read_headed_and_listed()
    {
        SkipIfUnavailable();
        var put = await Store.PutAsync("empty/zero", ReadOnlyMemory<byte>.Empty, PutMode.Create);
        Assert.Equal(0, put.Size);

        var got = await Store.GetAsync("empty/zero");
        Assert.Equal(0, got.Bytes.Length);
        Assert.Equal(0, got.Meta.Size);

        var head = await Store.HeadAsync("empty/zero");
        Assert.Equal(0, head.Size);

        var listed = Assert.Single(await ListAllAsync("empty/"));
        Assert.Equal("empty/zero", listed.Path);
        Assert.Equal(0, listed.Size);

        var ranged = await Store.GetAsync("empty/zero", new ByteRange(0, 10));
        Assert.Equal(0, ranged.Bytes.Length);
    }

    [SkippableFact]
    public async Task Ranged_get_reads_exactly_the_range_and_clamps_at_the_end()
    {
        SkipIfUnavailable();
        var data = RandomBytes(100, seed: 2);
        await Store.PutAsync("ranged", data, PutMode.Overwrite);

        async Task<byte[]> ReadAsync(long offset, long length)
        {
            var got = await Store.GetAsync("ranged", new ByteRange(offset, length));
            Assert.Equal(100, got.Meta.Size);
            return got.Bytes.ToArray();
        }

        Assert.Equal(data[10..30], await ReadAsync(10, 20));   // inside
        Assert.Equal(data[90..], await ReadAsync(90, 10));     // ends exactly at the end
        Assert.Equal(data[..1], await ReadAsync(0, 1));        // first byte
        Assert.Equal(data[95..], await ReadAsync(95, 50));     // runs past the end: clamped
        Assert.Equal(data, await ReadAsync(0, 1000));          // whole object through a larger range
        Assert.Empty(await ReadAsync(100, 5));                 // starts at the end
        Assert.Empty(await ReadAsync(150, 5));                 // starts after the end
        Assert.Empty(await ReadAsync(40, 0));                  // zero length inside
    }

    [SkippableFact]
    public async Task Head_returns_size_etag_and_last_modified()
    {
        SkipIfUnavailable();
        var put = await Store.PutAsync("dir/headed", RandomBytes(1234, seed: 3), PutMode.Overwrite);
        var head = await Store.HeadAsync("dir/headed");
        Assert.Equal("dir/headed", head.Path);
        Assert.Equal(1234, head.Size);
        Assert.Equal(put.ETag, head.ETag);
        Assert.True(head.LastModified > DateTimeOffset.UnixEpoch, $"LastModified {head.LastModified:O} is not set");
    }

    [SkippableFact]
    public async Task Get_and_head_of_a_missing_object_throw_ObjectNotFound_naming_the_path()
    {
        SkipIfUnavailable();
        await Store.PutAsync("present/x", Utf8("x"), PutMode.Overwrite);

        var onGet = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("present/missing"));
        Assert.Equal("present/missing", onGet.Path);
        Assert.False(onGet.IsTransient);

        var onRangedGet = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("nowhere/missing", new ByteRange(0, 1)));
        Assert.Equal("nowhere/missing", onRangedGet.Path);

        var onHead = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.HeadAsync("nowhere/missing"));
        Assert.Equal("nowhere/missing", onHead.Path);
    }

    [SkippableFact]
    public async Task Create_writes_a_new_object()
    {
        SkipIfUnavailable();
        var put = await Store.PutAsync("created", Utf8("new"), PutMode.Create);
        Assert.Equal(3, put.Size);
        Assert.Equal("new", Encoding.UTF8.GetString((await Store.GetAsync("created")).Bytes.Span));
    }

    [SkippableFact]
    public async Task Create_on_an_existing_object_throws_AlreadyExists_and_keeps_the_old_bytes()
    {
        SkipIfUnavailable();
        var original = await Store.PutAsync("taken", Utf8("original"), PutMode.Overwrite);

        var ex = await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => Store.PutAsync("taken", Utf8("intruder"), PutMode.Create));
        Assert.Equal("taken", ex.Path);
        Assert.False(ex.IsTransient);

        var got = await Store.GetAsync("taken");
        Assert.Equal("original", Encoding.UTF8.GetString(got.Bytes.Span));
        Assert.Equal(original.ETag, got.Meta.ETag);
    }

    [SkippableFact]
    public async Task Concurrent_creators_of_one_key_have_exactly_one_winner()
    {
        SkipIfUnavailable();
        var winners = await RaceAsync<ObjectAlreadyExistsException>(i => Store.PutAsync("race/wal/00001.sst", RacerBytes(i), PutMode.Create));
        var winner = Assert.Single(winners);
        var stored = await Store.GetAsync("race/wal/00001.sst");
        Assert.Equal(RacerBytes(winner), stored.Bytes.ToArray());
    }

    [SkippableFact]
    public async Task Update_with_the_current_etag_succeeds_and_returns_a_new_etag()
    {
        SkipIfUnavailable();
        var v1 = await Store.PutAsync("cas", Utf8("v1"), PutMode.Create);
        var v2 = await Store.PutAsync("cas", Utf8("v2"), PutMode.Update(v1.ETag));
        Assert.NotEqual(v1.ETag, v2.ETag);
        var v3 = await Store.PutAsync("cas", Utf8("v3"), PutMode.Update(v2.ETag));
        Assert.NotEqual(v2.ETag, v3.ETag);

        var got = await Store.GetAsync("cas");
        Assert.Equal("v3", Encoding.UTF8.GetString(got.Bytes.Span));
        Assert.Equal(v3.ETag, got.Meta.ETag);
    }

    [SkippableFact]
    public async Task Update_with_a_stale_etag_throws_PreconditionFailed_and_keeps_the_bytes()
    {
        SkipIfUnavailable();
        var v1 = await Store.PutAsync("cas", Utf8("v1"), PutMode.Create);
        var v2 = await Store.PutAsync("cas", Utf8("v2"), PutMode.Update(v1.ETag));

        var ex = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.PutAsync("cas", Utf8("stale"), PutMode.Update(v1.ETag)));
        Assert.Equal("cas", ex.Path);
        Assert.False(ex.IsTransient);

        var got = await Store.GetAsync("cas");
        Assert.Equal("v2", Encoding.UTF8.GetString(got.Bytes.Span));
        Assert.Equal(v2.ETag, got.Meta.ETag);
    }

    [SkippableFact]
    public async Task Concurrent_updates_from_one_etag_have_exactly_one_winner()
    {
        SkipIfUnavailable();
        var v1 = await Store.PutAsync("race/manifest", Utf8("v1"), PutMode.Create);
        var winner = Assert.Single(await RaceAsync<PreconditionFailedException>(i => Store.PutAsync("race/manifest", RacerBytes(i), PutMode.Update(v1.ETag))));
        Assert.Equal(RacerBytes(winner), (await Store.GetAsync("race/manifest")).Bytes.ToArray());
    }

    [SkippableFact]
    public async Task Update_of_a_missing_object_throws_PreconditionFailed()
    {
        SkipIfUnavailable();
        var other = await Store.PutAsync("elsewhere", Utf8("x"), PutMode.Overwrite);
        var ex = await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.PutAsync("absent", Utf8("v"), PutMode.Update(other.ETag)));
        Assert.Equal("absent", ex.Path);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.HeadAsync("absent"));
    }

    [SkippableFact]
    public async Task Put_id_is_stored_with_the_object_and_returned_by_head()
    {
        SkipIfUnavailable();
        var created = await Store.PutAsync("ids/obj", Utf8("v1"), PutMode.Create, new PutOptions { PutId = "01J8ZQ4C9V6R4Y1Q2W3E4R5T6Y" });
        Assert.Equal("01J8ZQ4C9V6R4Y1Q2W3E4R5T6Y", (await Store.HeadAsync("ids/obj")).PutId);

        await Store.PutAsync("ids/obj", Utf8("v2"), PutMode.Update(created.ETag), new PutOptions { PutId = "put-id-of-the-update" });
        Assert.Equal("put-id-of-the-update", (await Store.HeadAsync("ids/obj")).PutId);

        // A later write without a put id must not inherit the old one: a retry would take it for its own.
        await Store.PutAsync("ids/obj", Utf8("v3"), PutMode.Overwrite);
        Assert.Null((await Store.HeadAsync("ids/obj")).PutId);
    }

    [SkippableFact]
    public async Task Invalid_paths_are_rejected_with_ArgumentException()
    {
        SkipIfUnavailable();
        foreach (var bad in new[] { "", "/leading", "a/../b", "..", "a/./b", "a//b", "trailing/" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetAsync(bad));
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.HeadAsync(bad));
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutAsync(bad, Utf8("x"), PutMode.Overwrite));
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutAsync(bad, Utf8("x"), PutMode.Create));
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(bad));
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.CopyAsync(bad, "fine"));
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.CopyAsync("fine", bad));
        }

        foreach (var badPrefix in new[] { "/leading", "../", "a/../b" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => ListAllAsync(badPrefix));
        }

        Assert.Empty(await ListAllAsync(""));
    }

    [SkippableFact]
    public async Task Delete_removes_the_object_and_deleting_a_missing_object_is_fine()
    {
        SkipIfUnavailable();
        await Store.PutAsync("del/x", Utf8("x"), PutMode.Overwrite);
        await Store.PutAsync("del/y", Utf8("y"), PutMode.Overwrite);
        await Store.DeleteAsync("del/x");

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("del/x"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.HeadAsync("del/x"));
        Assert.Equal(["del/y"], (await ListAllAsync("del/")).Select(m => m.Path));

        await Store.DeleteAsync("del/x");
        await Store.DeleteAsync("never/existed/at/all");

        // A deleted path can be created again.
        await Store.PutAsync("del/x", Utf8("again"), PutMode.Create);
        Assert.Equal("again", Encoding.UTF8.GetString((await Store.GetAsync("del/x")).Bytes.Span));
    }

    [SkippableFact]
    public async Task Copy_to_a_new_path_and_over_an_existing_path()
    {
        SkipIfUnavailable();
        var data = RandomBytes(4096, seed: 4);
        await Store.PutAsync("src/obj", data, PutMode.Overwrite);

        await Store.CopyAsync("src/obj", "dst/new/obj");
        Assert.Equal(data, (await Store.GetAsync("dst/new/obj")).Bytes.ToArray());
        Assert.Equal(4096, (await Store.HeadAsync("dst/new/obj")).Size);

        await Store.PutAsync("dst/existing", Utf8("to be replaced"), PutMode.Overwrite);
        await Store.CopyAsync("src/obj", "dst/existing");
        Assert.Equal(data, (await Store.GetAsync("dst/existing")).Bytes.ToArray());

        // The source is untouched.
        Assert.Equal(data, (await Store.GetAsync("src/obj")).Bytes.ToArray());
    }

    [SkippableFact]
    public async Task Copy_of_a_missing_source_throws_ObjectNotFound()
    {
        SkipIfUnavailable();
        var ex = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.CopyAsync("missing/src", "dst/obj"));
        Assert.Equal("missing/src", ex.Path);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.HeadAsync("dst/obj"));
    }

    [SkippableFact]
    public async Task Unicode_paths_round_trip()
    {
        SkipIfUnavailable();
        const string path = "ünïcødé/日本語/key €";
        var data = Utf8("unicode payload");
        await Store.PutAsync(path, data, PutMode.Create);

        Assert.Equal(data, (await Store.GetAsync(path)).Bytes.ToArray());
        Assert.Equal(path, (await Store.HeadAsync(path)).Path);
        Assert.Equal([path], (await ListAllAsync("ünïcødé/")).Select(m => m.Path));
        Assert.Equal([path], (await ListAllAsync("ünïcødé/日本")).Select(m => m.Path));

        await Store.CopyAsync(path, path + " copy");
        Assert.Equal(data, (await Store.GetAsync(path + " copy")).Bytes.ToArray());
        await Store.DeleteAsync(path);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync(path));
    }

    [SkippableFact]
    public async Task Deep_paths_round_trip()
    {
        SkipIfUnavailable();
        var path = string.Join('/', Enumerable.Range(0, 20).Select(i => $"level{i:D2}"));
        var data = RandomBytes(321, seed: 5);
        await Store.PutAsync(path, data, PutMode.Create);

        Assert.Equal(data, (await Store.GetAsync(path)).Bytes.ToArray());
        Assert.Equal(321, (await Store.HeadAsync(path)).Size);
        Assert.Equal([path], (await ListAllAsync("level00/level01/")).Select(m => m.Path));
        Assert.Equal([path], (await ListAllAsync("")).Select(m => m.Path));
    }

    /// <summary>Data derived from the seed, so a failure can be reproduced.</summary>
    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Lists every object under <paramref name="prefix"/> into a list.</summary>
    protected async Task<List<ObjectMeta>> ListAllAsync(string prefix, string? startAfter = null)
    {
        var result = new List<ObjectMeta>();
        await foreach (var meta in Store.ListAsync(prefix, startAfter))
        {
            result.Add(meta);
        }

        return result;
    }

    /// <summary>Writes every path with a small body, <see cref="FillParallelism"/> puts at a time.</summary>
    protected async Task FillAsync(IEnumerable<string> paths)
    {
        await Parallel.ForEachAsync(
            paths,
            new ParallelOptions { MaxDegreeOfParallelism = FillParallelism },
            async (path, ct) => await Store.PutAsync(path, Utf8(path), PutMode.Overwrite, ct));
    }

    /// <summary>
    /// Starts <see cref="ConcurrentCreators"/> writes at once; returns the racers whose write succeeded. A racer that
    /// fails with <typeparamref name="TConflict"/> lost; any other failure fails the test.
    /// </summary>
    private async Task<int[]> RaceAsync<TConflict>(Func<int, Task> write)
        where TConflict : Exception
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(0, ConcurrentCreators).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await write(i);
                return i;
            }
            catch (TConflict)
            {
                return -1;
            }
        })).ToArray();
        start.SetResult();
        return [.. (await Task.WhenAll(racers)).Where(i => i >= 0)];
    }

    private static byte[] RacerBytes(int racer) => Utf8($"written by racer {racer}");

    private static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));
}
