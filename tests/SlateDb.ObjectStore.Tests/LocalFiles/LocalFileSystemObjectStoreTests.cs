using System.Text;
using SlateDb.Testing;
using SlateDb.Testing.Xunit;
using Xunit;

namespace SlateDb.ObjectStore.Tests.LocalFiles;

/// <summary>What the local-file store does beyond the contract: its files on disk, its metadata, its limits.</summary>
public sealed partial class LocalFileSystemObjectStoreTests : IDisposable
{
    private readonly TempDirectory _folder = new("localfs-unit");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Uri_is_the_normalized_file_uri_of_the_root()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath + "/sub/../data dir/");
        var expectedRoot = Path.Combine(_folder.FullPath, "data dir");
        Assert.Equal(expectedRoot, store.RootPath);
        Assert.True(Directory.Exists(expectedRoot));
        Assert.StartsWith("file:///", store.Uri, StringComparison.Ordinal);
        Assert.EndsWith("/data%20dir", store.Uri, StringComparison.Ordinal);
        Assert.Equal(expectedRoot, new Uri(store.Uri).LocalPath);
    }

    [Fact]
    public void A_root_that_is_a_file_is_a_permanent_store_error_naming_it()
    {
        var file = _folder.Combine("a-file");
        File.WriteAllText(file, "x");
        var ex = Assert.Throws<ObjectStoreException>(() => new LocalFileSystemObjectStore(file));
        Assert.False(ex.IsTransient);
        Assert.Contains($"root '{file}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_root_under_a_file_is_a_permanent_store_error_naming_the_root_and_the_file()
    {
        var file = _folder.Combine("a-file");
        File.WriteAllText(file, "x");
        var root = Path.Combine(file, "sub", "db");

        var ex = Assert.Throws<ObjectStoreException>(() => new LocalFileSystemObjectStore(root));
        Assert.False(ex.IsTransient);
        Assert.Contains($"root '{root}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{file}' is a file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_root_that_cannot_be_created_is_a_permanent_store_error_with_the_reason()
    {
        var root = _folder.Combine(new string('n', 300), "db");   // a name longer than any file system allows

        var ex = Assert.Throws<ObjectStoreException>(() => new LocalFileSystemObjectStore(root));
        Assert.False(ex.IsTransient);
        Assert.Contains($"root '{root}'", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
    }

    [Fact]
    public async Task The_first_put_into_a_folder_found_existing_syncs_the_folder_chain_once()
    {
        // A writer that crashed created db/wal but never synced the folders that name it.
        Directory.CreateDirectory(_folder.Combine("db", "wal"));
        var synced = new List<string>();
        var store = new LocalFileSystemObjectStore(_folder.FullPath, useExtendedAttributes: true, Record(synced));
        Assert.Empty(synced);

        await store.PutAsync("db/wal/1", "a"u8.ToArray(), PutMode.Create);
        // Every folder above the root too: any of them may have been created by the crashed writer.
        Assert.Equal([.. Ancestors(_folder.FullPath), _folder.FullPath, _folder.Combine("db"), _folder.Combine("db", "wal")], Snapshot(synced));

        // Done once: the next put syncs only the folder it adds a name to.
        synced.Clear();
        await store.PutAsync("db/wal/2", "b"u8.ToArray(), PutMode.Create);
        Assert.Equal([_folder.Combine("db", "wal")], Snapshot(synced));

        // A new folder: its parent is synced after creating it.
        synced.Clear();
        await store.PutAsync("db/compacted/1", "c"u8.ToArray(), PutMode.Overwrite);
        Assert.Equal([_folder.Combine("db"), _folder.Combine("db", "compacted")], Snapshot(synced));
    }

    [Fact]
    public async Task Syncing_above_the_root_stops_at_a_folder_that_cannot_be_opened_but_the_roots_parent_must_sync()
    {
        var root = _folder.Combine("root");
        Directory.CreateDirectory(root);
        var above = Path.GetDirectoryName(_folder.FullPath)!;
        var synced = new List<string>();
        var store = new LocalFileSystemObjectStore(root, useExtendedAttributes: true, folder =>
        {
            if (folder == above)
            {
                throw new IOException($"Cannot open the folder '{folder}' to sync it (errno 13).");
            }

            Record(synced)(folder);
        });
        await store.PutAsync("x", "a"u8.ToArray(), PutMode.Create);
        Assert.Equal([_folder.FullPath, root], Snapshot(synced));

        var failing = new LocalFileSystemObjectStore(root, useExtendedAttributes: true, folder =>
        {
            if (folder == _folder.FullPath)
            {
                throw new IOException($"Cannot sync the folder '{folder}' (errno 5).");
            }
        });
        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => failing.PutAsync("y", "b"u8.ToArray(), PutMode.Create));
        Assert.Contains("errno 5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_root_created_by_the_store_is_synced_level_by_level_and_not_again_on_the_first_put()
    {
        var root = _folder.Combine("new", "root");
        var synced = new List<string>();
        var store = new LocalFileSystemObjectStore(root, useExtendedAttributes: true, Record(synced));
        // The new chain, then every folder above the one it hangs from (which a crashed process may have created).
        Assert.Equal([_folder.FullPath, _folder.Combine("new"), .. Ancestors(_folder.FullPath)], Snapshot(synced));

        synced.Clear();
        await store.PutAsync("x", "a"u8.ToArray(), PutMode.Create);
        Assert.Equal([root], Snapshot(synced));
    }

    [Fact]
    public async Task Objects_are_plain_files_at_their_paths()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        await store.PutAsync("db/wal/00000000000000000001.sst", "payload"u8.ToArray(), PutMode.Create);
        Assert.Equal("payload", await File.ReadAllTextAsync(_folder.Combine("db", "wal", "00000000000000000001.sst")));
    }

    [SkippableFact]
    public async Task Etags_and_put_ids_live_in_an_extended_attribute_on_Linux()
    {
        Skip.Unless(OperatingSystem.IsLinux(), "extended attributes are used on Linux only");
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        var put = await store.PutAsync("x", "1"u8.ToArray(), PutMode.Create, new PutOptions { PutId = "pid" });
        Assert.True(store.UsesExtendedAttributes, "the temp folder's file system refused user extended attributes");
        Assert.Matches("^[0-9a-f]{32}$", put.ETag);

        // A second store over the same folder (another process, after a restart) reads the same metadata.
        var reopened = await new LocalFileSystemObjectStore(_folder.FullPath).HeadAsync("x");
        Assert.Equal(put.ETag, reopened.ETag);
        Assert.Equal("pid", reopened.PutId);
    }

    [Fact]
    public async Task Same_size_writes_in_quick_succession_get_distinct_etags()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        var etags = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            etags.Add((await store.PutAsync("same", "0123456789"u8.ToArray(), PutMode.Overwrite)).ETag);
        }

        Assert.Equal(50, etags.Count);
    }

    [Fact]
    public async Task No_temp_files_remain_after_successful_and_failed_puts()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        var v1 = await store.PutAsync("d/a", "1"u8.ToArray(), PutMode.Create);
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.PutAsync("d/a", "2"u8.ToArray(), PutMode.Create));
        await store.PutAsync("d/a", "3"u8.ToArray(), PutMode.Update(v1.ETag));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => store.PutAsync("d/a", "4"u8.ToArray(), PutMode.Update(v1.ETag)));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => store.PutAsync("d/b", "5"u8.ToArray(), PutMode.Update(v1.ETag)));
        await store.PutAsync("d/c", "6"u8.ToArray(), PutMode.Overwrite);
        await store.CopyAsync("d/c", "d/e");

        var names = Directory.GetFiles(_folder.Combine("d")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal([".slatedb-lock", "a", "c", "e"], names);
    }

    [Fact]
    public async Task Listings_skip_the_stores_own_files_and_reserved_names_are_rejected()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        await store.PutAsync("d/a", "1"u8.ToArray(), PutMode.Overwrite);
        await File.WriteAllTextAsync(_folder.Combine("d", ".slatedb-tmp-orphan"), "left by a crash");
        Directory.CreateDirectory(_folder.Combine(".slatedb-tmp-dir"));

        Assert.Equal(["d/a"], await ListAsync(store, ""));
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync("d/.slatedb-x", "1"u8.ToArray(), PutMode.Overwrite));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync(".slatedb-lock"));
    }

    [Fact]
    public async Task Files_written_by_other_programs_are_objects_with_a_timestamp_etag()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        Directory.CreateDirectory(_folder.Combine("ext"));
        await File.WriteAllTextAsync(_folder.Combine("ext", "file.txt"), "hello");

        var head = await store.HeadAsync("ext/file.txt");
        Assert.Equal(5, head.Size);
        Assert.StartsWith("m", head.ETag, StringComparison.Ordinal);
        Assert.Null(head.PutId);
        Assert.Equal(head.ETag, (await ListMetaAsync(store, "ext/")).Single().ETag);

        var updated = await store.PutAsync("ext/file.txt", "bye"u8.ToArray(), PutMode.Update(head.ETag));
        Assert.NotEqual(head.ETag, updated.ETag);
        Assert.Equal("bye", await File.ReadAllTextAsync(_folder.Combine("ext", "file.txt")));
    }

    [Fact]
    public async Task Without_extended_attributes_the_store_still_works_with_timestamp_etags()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath, useExtendedAttributes: false);
        Assert.False(store.UsesExtendedAttributes);
        var v1 = await store.PutAsync("k", "1"u8.ToArray(), PutMode.Create, new PutOptions { PutId = "lost" });
        Assert.StartsWith("m", v1.ETag, StringComparison.Ordinal);
        Assert.Equal(v1.ETag, (await store.HeadAsync("k")).ETag);
        Assert.Null((await store.HeadAsync("k")).PutId);

        var v2 = await store.PutAsync("k", "22"u8.ToArray(), PutMode.Update(v1.ETag));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => store.PutAsync("k", "3"u8.ToArray(), PutMode.Update(v1.ETag)));
        Assert.Equal(v2.ETag, (await store.GetAsync("k")).Meta.ETag);
    }

    [Fact]
    public async Task An_object_cannot_also_be_a_folder()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        await store.PutAsync("a", "file"u8.ToArray(), PutMode.Create);
        var under = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("a/b", "x"u8.ToArray(), PutMode.Create));
        Assert.Contains("'a' is an object", under.Message, StringComparison.Ordinal);
        Assert.False(under.IsTransient);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("a/b"));

        await store.PutAsync("f/g", "x"u8.ToArray(), PutMode.Create);
        foreach (var mode in new[] { PutMode.Create, PutMode.Overwrite })
        {
            var over = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("f", "x"u8.ToArray(), mode));
            Assert.Contains("folder of other objects", over.Message, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("f"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.HeadAsync("f"));
        await store.DeleteAsync("f");   // not an object: nothing to delete
        Assert.Equal(["a", "f/g"], await ListAsync(store, ""));
    }

    [Fact]
    public async Task Over_long_names_are_argument_errors()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        var name = new string('n', 300);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(name, "x"u8.ToArray(), PutMode.Overwrite));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_creates_through_separate_store_instances_have_exactly_one_winner()
    {
        // Separate instances share nothing in memory but the folder, as separate processes would; link(2) decides.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            var store = new LocalFileSystemObjectStore(_folder.FullPath);
            await start.Task;
            try
            {
                await store.PutAsync("fence/wal/00000000000000000007.sst", Encoding.UTF8.GetBytes($"writer {i}"), PutMode.Create);
                return i;
            }
            catch (ObjectAlreadyExistsException)
            {
                return -1;
            }
        })).ToArray();
        start.SetResult();

        var winner = Assert.Single(await Task.WhenAll(racers), i => i >= 0);
        var bytes = await File.ReadAllBytesAsync(_folder.Combine("fence", "wal", "00000000000000000007.sst"));
        Assert.Equal($"writer {winner}", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task A_cancelled_put_writes_nothing()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync("c/x", "1"u8.ToArray(), PutMode.Overwrite, cancelled.Token));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.HeadAsync("c/x"));
        Assert.Empty(await ListAsync(store, ""));
    }

    [Fact]
    public async Task A_listing_is_lazy_and_sees_objects_in_folders_it_has_not_reached()
    {
        var store = new LocalFileSystemObjectStore(_folder.FullPath);
        await store.PutAsync("a/1", "x"u8.ToArray(), PutMode.Overwrite);
        await store.PutAsync("c/1", "x"u8.ToArray(), PutMode.Overwrite);

        var seen = new List<string>();
        await foreach (var meta in store.ListAsync(""))
        {
            seen.Add(meta.Path);
            if (meta.Path == "a/1")
            {
                await store.PutAsync("c/0", "x"u8.ToArray(), PutMode.Overwrite);
            }
        }

        Assert.Equal(["a/1", "c/0", "c/1"], seen);
    }

    [Theory]
    [InlineData(256 * 1024 - 1)]
    [InlineData(256 * 1024)]
    [InlineData(256 * 1024 + 1)]
    [InlineData((4 * 1024 * 1024) + 4097)]
    [InlineData(8 * 1024 * 1024)]
    public async Task Large_objects_written_directly_read_back_exactly(int size)
    {
        // From 256 KiB objects go through direct I/O (where the file system allows it), in 4 MiB chunks with the last
        // one padded and the file cut back; every size around those edges must come back byte for byte.
        await AssertLargeObjectsRoundTripAsync(new LocalFileSystemObjectStore(_folder.FullPath), size);
    }

    [SkippableFact]
    public async Task Large_objects_on_a_file_system_without_direct_io_are_written_buffered()
    {
        Skip.Unless(Directory.Exists("/dev/shm"), "No tmpfs at /dev/shm here.");
        var root = Path.Combine("/dev/shm", $"slatedb-direct-{Environment.ProcessId}-{Path.GetRandomFileName()}");
        try
        {
            await AssertLargeObjectsRoundTripAsync(new LocalFileSystemObjectStore(root), (1024 * 1024) + 3);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task AssertLargeObjectsRoundTripAsync(LocalFileSystemObjectStore store, int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        var meta = await store.PutAsync("db/compacted/big.sst", data, PutMode.Create);
        Assert.Equal(size, meta.Size);
        Assert.Equal(size, new FileInfo(Path.Combine(store.RootPath, "db", "compacted", "big.sst")).Length);
        Assert.Equal(data, (await store.GetAsync("db/compacted/big.sst")).Bytes.ToArray());
        var tail = await store.GetAsync("db/compacted/big.sst", new ByteRange(size - 100, 100));
        Assert.Equal(data.AsSpan(size - 100).ToArray(), tail.Bytes.ToArray());
        Assert.Equal(meta.ETag, (await store.HeadAsync("db/compacted/big.sst")).ETag);
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.PutAsync("db/compacted/big.sst", data, PutMode.Create));
        Assert.Empty(Directory.GetFiles(Path.Combine(store.RootPath, "db", "compacted"), ".slatedb-*"));

        // An overwrite with a shorter object leaves exactly the new bytes.
        var shorter = data.AsSpan(0, size / 2 + 1).ToArray();
        await store.PutAsync("db/compacted/big.sst", shorter, PutMode.Overwrite);
        Assert.Equal(shorter, (await store.GetAsync("db/compacted/big.sst")).Bytes.ToArray());
    }

    private static async Task<List<string>> ListAsync(IObjectStore store, string prefix)
        => [.. (await ListMetaAsync(store, prefix)).Select(m => m.Path)];

    private static async Task<List<ObjectMeta>> ListMetaAsync(IObjectStore store, string prefix)
    {
        var result = new List<ObjectMeta>();
        await foreach (var meta in store.ListAsync(prefix))
        {
            result.Add(meta);
        }

        return result;
    }

    private static Action<string> Record(List<string> synced) => folder =>
    {
        lock (synced)
        {
            synced.Add(folder);
        }
    };

    private static IEnumerable<string> Ancestors(string folder)
    {
        for (var parent = Path.GetDirectoryName(folder); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            yield return parent;
        }
    }

    private static string[] Snapshot(List<string> synced)
    {
        lock (synced)
        {
            return [.. synced];
        }
    }
}
