using SlateDb.IntegrationTests.Servers;
using SlateDb.ObjectStore;
using SlateDb.Testing;
using SlateDb.Testing.Xunit;

namespace SlateDb.IntegrationTests.Clones;

/// <summary>Clones and copies against the servers of ./scripts/test.sh (Ceph radosgw, Azurite).</summary>
public sealed class CloneServerTests
{
    [SkippableFact]
    public async Task Radosgw_a_clone_from_a_full_checkpoint_comes_up_after_the_parent_wal_store_was_wiped()
    {
        var server = TestServers.S3OrSkip();
        await CloneScenario.SeedScenarioAsync(
            await server.CreateStoreAsync("clone-main"), await server.CreateStoreAsync("clone-wal-a"), await server.CreateStoreAsync("clone-wal-b"));
    }

    [SkippableFact]
    public async Task Azurite_a_clone_from_a_full_checkpoint_comes_up_after_the_parent_wal_store_was_wiped()
    {
        var server = TestServers.AzureOrSkip();
        await CloneScenario.SeedScenarioAsync(server.CreateStore("clone-main"), server.CreateStore("clone-wal-a"), server.CreateStore("clone-wal-b"));
    }

    [SkippableFact]
    public async Task Radosgw_a_copy_from_local_files_reads_back_equal()
    {
        var server = TestServers.S3OrSkip();
        using var dir = new TempDirectory("copy-to-s3");
        await CloneScenario.CopyScenarioAsync(new LocalFileSystemObjectStore(dir.FullPath), await server.CreateStoreAsync("copy"));
    }
}
