using SlateDb.ObjectStore;
using SlateDb.Testing.Xunit;
using Xunit;

namespace SlateDb.Testing.ObjectStores;

/// <summary>Listing: order, paging, <c>startAfter</c> and prefixes.</summary>
public abstract partial class ObjectStoreContract
{
    [SkippableFact]
    public async Task List_returns_paths_in_ordinal_order()
    {
        SkipIfUnavailable();

        // '-' (0x2D) < '/' (0x2F) < '0' (0x30): a walk that visits the folder "a" as a whole between "a-b" and "a0"
        // gets this wrong, and upper case sorts before lower case.
        string[] paths = ["ord/a0", "ord/a/b", "ord/a-b", "ord/B", "ord/a/c/d", "ord/ab", "ord/é", "ord/a/b0", "ord/a.x"];
        await FillAsync(paths);

        var expected = paths.Order(StringComparer.Ordinal).ToArray();
        var listed = await ListAllAsync("ord/");
        Assert.Equal(expected, listed.Select(m => m.Path));
        foreach (var meta in listed)
        {
            Assert.Equal(Utf8(meta.Path).Length, meta.Size);
            Assert.False(string.IsNullOrEmpty(meta.ETag));
        }

        Assert.Equal(expected, (await ListAllAsync("")).Select(m => m.Path));
    }

    [SkippableFact]
    public async Task List_pages_through_more_than_a_thousand_objects()
    {
        SkipIfUnavailable();
        var paths = Enumerable.Range(0, 1100).Select(i => $"page/{i:D4}").ToArray();
        await FillAsync(paths);

        var listed = await ListAllAsync("page/");
        Assert.Equal(paths, listed.Select(m => m.Path));

        var afterMiddle = await ListAllAsync("page/", startAfter: "page/0549");
        Assert.Equal(paths[550..], afterMiddle.Select(m => m.Path));

        var afterFirstPage = await ListAllAsync("page/", startAfter: "page/1000");
        Assert.Equal(paths[1001..], afterFirstPage.Select(m => m.Path));
    }

    [SkippableFact]
    public async Task List_start_after_skips_everything_up_to_and_including_it()
    {
        SkipIfUnavailable();
        string[] paths = ["sa/b", "sa/d", "sa/f/g", "sa/h"];
        await FillAsync(paths);

        Assert.Equal(["sa/d", "sa/f/g", "sa/h"], await PathsAsync("sa/", "sa/b"));   // an exact key
        Assert.Equal(["sa/d", "sa/f/g", "sa/h"], await PathsAsync("sa/", "sa/c"));   // between keys
        Assert.Equal(["sa/f/g", "sa/h"], await PathsAsync("sa/", "sa/e"));
        Assert.Equal(["sa/h"], await PathsAsync("sa/", "sa/f/g"));                   // the last key in a folder
        Assert.Equal(["sa/f/g", "sa/h"], await PathsAsync("sa/", "sa/f/"));          // a folder-like key
        Assert.Equal(paths, await PathsAsync("sa/", "sa/"));                         // the prefix itself
        Assert.Equal(paths, await PathsAsync("sa/", "a"));                           // before every key
        Assert.Empty(await PathsAsync("sa/", "sa/h"));                               // the last key
        Assert.Empty(await PathsAsync("sa/", "sa/zzz"));                             // past the end
        Assert.Empty(await PathsAsync("sa/", "zzz"));
    }

    [SkippableFact]
    public async Task List_prefix_is_a_string_prefix_not_a_folder()
    {
        SkipIfUnavailable();
        string[] paths = ["p/b/x", "p/b/y", "p/bc/z", "p/bcd", "p/c", "pq/r"];
        await FillAsync(paths);

        Assert.Equal(["p/b/x", "p/b/y"], await PathsAsync("p/b/"));
        Assert.Equal(["p/b/x", "p/b/y", "p/bc/z", "p/bcd"], await PathsAsync("p/b"));
        Assert.Equal(["p/bc/z", "p/bcd"], await PathsAsync("p/bc"));
        Assert.Equal(["p/bcd"], await PathsAsync("p/bcd"));
        Assert.Equal(["p/b/x", "p/b/y", "p/bc/z", "p/bcd", "p/c"], await PathsAsync("p/"));
        Assert.Equal(paths, await PathsAsync("p"));
        Assert.Equal(["pq/r"], await PathsAsync("pq"));
        Assert.Empty(await PathsAsync("p/b/x/"));
        Assert.Empty(await PathsAsync("nothing/"));
        Assert.Empty(await PathsAsync("p/d"));
        Assert.Equal(["p/bcd", "p/c"], await PathsAsync("p/", "p/bc/z"));
    }

    [SkippableFact]
    public async Task List_reflects_deletes_and_overwrites()
    {
        SkipIfUnavailable();
        await FillAsync(["l/1", "l/2", "l/3"]);
        await Store.DeleteAsync("l/2");
        var rewritten = await Store.PutAsync("l/3", new byte[77], PutMode.Overwrite);

        var listed = await ListAllAsync("l/");
        Assert.Equal(["l/1", "l/3"], listed.Select(m => m.Path));
        Assert.Equal(77, listed[1].Size);
        Assert.Equal(rewritten.ETag, listed[1].ETag);
    }

    private async Task<string[]> PathsAsync(string prefix, string? startAfter = null)
        => [.. (await ListAllAsync(prefix, startAfter)).Select(m => m.Path)];
}
