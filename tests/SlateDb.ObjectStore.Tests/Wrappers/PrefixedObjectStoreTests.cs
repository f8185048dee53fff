using Xunit;

namespace SlateDb.ObjectStore.Tests.Wrappers;

public sealed class PrefixedObjectStoreTests
{
    [Fact]
    public async Task Objects_land_under_the_prefix_and_come_back_without_it()
    {
        var inner = new InMemoryObjectStore("memory://shared");
        var store = new PrefixedObjectStore(inner, "tenants/42/");
        Assert.Equal("tenants/42", store.Prefix);
        Assert.Equal("memory://shared/tenants/42", store.Uri);

        var put = await store.PutAsync("db/wal/1", "x"u8.ToArray(), PutMode.Create, new PutOptions { PutId = "id" });
        Assert.Equal("db/wal/1", put.Path);
        Assert.Equal("x"u8.ToArray(), (await inner.GetAsync("tenants/42/db/wal/1")).Bytes.ToArray());
        Assert.Equal("db/wal/1", (await store.GetAsync("db/wal/1")).Meta.Path);
        var head = await store.HeadAsync("db/wal/1");
        Assert.Equal("db/wal/1", head.Path);
        Assert.Equal("id", head.PutId);

        await store.CopyAsync("db/wal/1", "db/wal/2");
        await inner.HeadAsync("tenants/42/db/wal/2");
        await store.DeleteAsync("db/wal/1");
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => inner.HeadAsync("tenants/42/db/wal/1"));
    }

    [Fact]
    public async Task Listing_translates_prefix_and_startAfter()
    {
        var inner = new InMemoryObjectStore();
        foreach (var path in new[] { "p/a", "p/b", "p/c", "pa/x", "other" })
        {
            await inner.PutAsync(path, "v"u8.ToArray(), PutMode.Overwrite);
        }

        var store = new PrefixedObjectStore(inner, "p");
        var paths = new List<string>();
        await foreach (var meta in store.ListAsync("", startAfter: "a"))
        {
            paths.Add(meta.Path);
        }

        Assert.Equal(["b", "c"], paths);
    }

    [Fact]
    public async Task Errors_name_the_callers_path_and_the_prefixed_store()
    {
        var store = new PrefixedObjectStore(new InMemoryObjectStore("memory://x"), "root");
        var notFound = await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("missing"));
        Assert.Equal("missing", notFound.Path);
        Assert.Equal("memory://x/root", notFound.StoreUri);
        Assert.IsType<ObjectNotFoundException>(notFound.InnerException);

        var v1 = await store.PutAsync("obj", "1"u8.ToArray(), PutMode.Create);
        var exists = await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.PutAsync("obj", "2"u8.ToArray(), PutMode.Create));
        Assert.Equal("obj", exists.Path);
        await store.PutAsync("obj", "2"u8.ToArray(), PutMode.Update(v1.ETag));
        var stale = await Assert.ThrowsAsync<PreconditionFailedException>(() => store.PutAsync("obj", "3"u8.ToArray(), PutMode.Update(v1.ETag)));
        Assert.Equal("obj", stale.Path);
        Assert.Equal(v1.ETag, stale.ExpectedETag);

        var copyMissing = await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.CopyAsync("nothing", "obj2"));
        Assert.Equal("nothing", copyMissing.Path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/abs")]
    [InlineData("..")]
    [InlineData("a/../b")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    public void Rejects_bad_prefixes(string prefix)
        => Assert.ThrowsAny<ArgumentException>(() => new PrefixedObjectStore(new InMemoryObjectStore(), prefix));

    [Fact]
    public async Task Rejects_paths_that_would_escape_the_prefix()
    {
        var inner = new InMemoryObjectStore();
        var store = new PrefixedObjectStore(inner, "jail");
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.PutAsync("../outside", "x"u8.ToArray(), PutMode.Overwrite));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.GetAsync("/outside"));
        Assert.Equal(0, inner.Count);
    }
}
