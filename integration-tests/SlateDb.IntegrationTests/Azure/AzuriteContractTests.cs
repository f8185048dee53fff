using SlateDb.IntegrationTests.Servers;
using SlateDb.ObjectStore;
using SlateDb.Testing.ObjectStores;

namespace SlateDb.IntegrationTests.Azure;

/// <summary>The object store contract against the Azure Blob server of ./scripts/test.sh (Azurite), one blob prefix per test.</summary>
public sealed class AzuriteContractTests : ObjectStoreContract
{
    protected override string? SkipReason => TestServers.SkipReason(TestServers.Azure, "The Azure Blob test server", "SLATEDB_TEST_AZURE_CONNECTION_STRING");

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(TestServers.Require(TestServers.Azure, "The Azure Blob test server", "SLATEDB_TEST_AZURE_CONNECTION_STRING").CreateStore("contract"));
}
