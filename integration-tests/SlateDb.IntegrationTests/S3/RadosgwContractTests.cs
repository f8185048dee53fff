using SlateDb.IntegrationTests.Servers;
using SlateDb.ObjectStore;
using SlateDb.Testing.ObjectStores;

namespace SlateDb.IntegrationTests.S3;

/// <summary>The object store contract against the S3 server of ./scripts/test.sh (Ceph radosgw), one key prefix per test.</summary>
public sealed class RadosgwContractTests : ObjectStoreContract
{
    protected override string? SkipReason => TestServers.SkipReason(TestServers.S3, "The S3 test server", "SLATEDB_TEST_S3_ENDPOINT");

    protected override async Task<IObjectStore> CreateStoreAsync() =>
        await TestServers.Require(TestServers.S3, "The S3 test server", "SLATEDB_TEST_S3_ENDPOINT").CreateStoreAsync("contract");
}
