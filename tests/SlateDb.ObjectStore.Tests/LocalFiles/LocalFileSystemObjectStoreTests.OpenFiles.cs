using System.Text;
using SlateDb.Testing.Xunit;
using Xunit;

namespace SlateDb.ObjectStore.Tests.LocalFiles;

/// <summary>The files the local-file store keeps open for ranged reads: never stale, bounded, closed on dispose.</summary>
public sealed partial class LocalFileSystemObjectStoreTests
{
    [SkippableFact]
    public async Task Ranged_reads_go_through_one_kept_open_file_and_whole_reads_open_their_own()
    {
        using var store = Open(maxOpenFiles: 8);
        var put = await store.PutAsync("db/a.sst", "0123456789"u8.ToArray(), PutMode.Create);

        Assert.Equal("0123456789", Text(await store.GetAsync("db/a.sst")));
        Assert.Equal(0, store.OpenFileCount);

        var first = await store.GetAsync("db/a.sst", new ByteRange(2, 3));
        var second = await store.GetAsync("db/a.sst", new ByteRange(7, 10));
        Assert.Equal("234", Text(first));
        Assert.Equal("789", Text(second));
        Assert.Equal(1, store.OpenFileCount);
        Assert.Equal(put.ETag, first.Meta.ETag);
        Assert.Equal(put.Size, first.Meta.Size);
        Assert.Equal((await store.HeadAsync("db/a.sst")).LastModified, first.Meta.LastModified);
        Assert.Equal(put.ETag, (await store.HeadAsync("db/a.sst")).ETag);
    }

    [SkippableFact]
    public async Task A_file_deleted_by_another_process_is_not_found_by_the_next_ranged_read()
    {
        using var store = Open(maxOpenFiles: 8);
        await store.PutAsync("a", "0123456789"u8.ToArray(), PutMode.Create);
        await store.GetAsync("a", new ByteRange(0, 4));

        File.Delete(_folder.Combine("a"));

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("a", new ByteRange(0, 4)));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.HeadAsync("a"));
        Assert.Equal(0, store.OpenFileCount);
    }

    [SkippableFact]
    public async Task A_file_replaced_by_another_process_is_read_anew_with_its_etag()
    {
        using var store = Open(maxOpenFiles: 8);
        var old = await store.PutAsync("a", "old bytes!"u8.ToArray(), PutMode.Create);
        await store.GetAsync("a", new ByteRange(0, 4));

        // Another writer publishes a file of the same size by renaming a temp file over the path.
        var temp = _folder.Combine("outside.tmp");
        await File.WriteAllTextAsync(temp, "new bytes!");
        File.Move(temp, _folder.Combine("a"), overwrite: true);

        var read = await store.GetAsync("a", new ByteRange(0, 9));
        Assert.Equal("new bytes", Text(read));
        Assert.NotEqual(old.ETag, read.Meta.ETag);
        Assert.Equal((await store.HeadAsync("a")).ETag, read.Meta.ETag);
        Assert.Equal(1, store.OpenFileCount);
    }

    [SkippableFact]
    public async Task The_stores_own_delete_and_overwrite_close_the_kept_file()
    {
        using var store = Open(maxOpenFiles: 8);
        await store.PutAsync("a", "first"u8.ToArray(), PutMode.Create);
        await store.GetAsync("a", new ByteRange(0, 2));
        Assert.Equal(1, store.OpenFileCount);

        await store.DeleteAsync("a");
        Assert.Equal(0, store.OpenFileCount);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("a", new ByteRange(0, 2)));

        await store.PutAsync("a", "second"u8.ToArray(), PutMode.Create);
        await store.GetAsync("a", new ByteRange(0, 2));
        var overwritten = await store.PutAsync("a", "third!"u8.ToArray(), PutMode.Overwrite);
        Assert.Equal(0, store.OpenFileCount);

        var read = await store.GetAsync("a", new ByteRange(0, 6));
        Assert.Equal("third!", Text(read));
        Assert.Equal(overwritten.ETag, read.Meta.ETag);
    }

    [SkippableFact]
    public async Task Concurrent_readers_of_more_files_than_the_cap_always_get_the_right_bytes()
    {
        using var store = Open(maxOpenFiles: 2);
        const int Files = 6;
        const int Size = 64 * 1024;   // ranges both below and above the synchronous-read limit
        var contents = new byte[Files][];
        for (var f = 0; f < Files; f++)
        {
            contents[f] = new byte[Size];
            new Random(f).NextBytes(contents[f]);
            await store.PutAsync($"f{f}", contents[f], PutMode.Create);
        }

        var readers = Enumerable.Range(0, 8).Select(seed => Task.Run(async () =>
        {
            var random = new Random(100 + seed);
            for (var i = 0; i < 400; i++)
            {
                var f = random.Next(Files);
                var offset = random.Next(Size);
                var length = random.Next(1, i % 4 == 0 ? Size : 4096);
                var read = await store.GetAsync($"f{f}", new ByteRange(offset, length));
                var expected = contents[f].AsMemory(offset, Math.Min(length, Size - offset));
                Assert.True(expected.Span.SequenceEqual(read.Bytes.Span), $"f{f} [{offset}, +{length})");
            }
        }));
        await Task.WhenAll(readers);

        Assert.InRange(store.OpenFileCount, 1, 2);
    }

    [SkippableFact]
    public async Task Files_unlinked_elsewhere_are_closed_as_other_files_are_opened()
    {
        using var store = Open(maxOpenFiles: 8);
        for (var f = 0; f < 6; f++)
        {
            await store.PutAsync($"f{f}", "0123"u8.ToArray(), PutMode.Create);
        }

        await store.GetAsync("f0", new ByteRange(0, 1));
        await store.GetAsync("f1", new ByteRange(0, 1));
        File.Delete(_folder.Combine("f0"));
        File.Delete(_folder.Combine("f1"));

        // Not read again, but each open checks two more kept files; within a round of the ring both are found.
        for (var f = 2; f < 6; f++)
        {
            await store.GetAsync($"f{f}", new ByteRange(0, 1));
        }

        Assert.Equal(4, store.OpenFileCount);
    }

    [SkippableFact]
    public async Task Dispose_closes_the_kept_files_and_reads_still_work_after_it()
    {
        var store = Open(maxOpenFiles: 8);
        await store.PutAsync("a", "0123"u8.ToArray(), PutMode.Create);
        await store.PutAsync("b", "4567"u8.ToArray(), PutMode.Create);
        await store.GetAsync("a", new ByteRange(0, 1));
        await store.GetAsync("b", new ByteRange(0, 1));
        Assert.Equal(2, store.OpenFileCount);

        store.Dispose();
        Assert.Equal(0, store.OpenFileCount);

        Assert.Equal("12", Text(await store.GetAsync("a", new ByteRange(1, 2))));
        Assert.Equal(0, store.OpenFileCount);
    }

    [Fact]
    public async Task No_files_are_kept_open_when_the_cap_is_zero()
    {
        using var store = new LocalFileSystemObjectStore(_folder.FullPath, maxOpenFiles: 0);
        await store.PutAsync("a", "0123"u8.ToArray(), PutMode.Create);
        Assert.Equal("12", Text(await store.GetAsync("a", new ByteRange(1, 2))));
        Assert.Equal(0, store.OpenFileCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalFileSystemObjectStore(_folder.FullPath, maxOpenFiles: -1));
    }

    private static string Text(ObjectData data) => Encoding.UTF8.GetString(data.Bytes.Span);

    private LocalFileSystemObjectStore Open(int maxOpenFiles)
    {
        Skip.Unless(PosixSync.HasStatx, "files are kept open only on Linux with statx");
        return new LocalFileSystemObjectStore(_folder.FullPath, maxOpenFiles);
    }
}
