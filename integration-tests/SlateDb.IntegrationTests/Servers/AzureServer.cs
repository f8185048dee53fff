using Azure.Storage.Blobs;
using SlateDb.ObjectStore;

namespace SlateDb.IntegrationTests.Servers;

/// <summary>An Azure Blob account the tests can use (Azurite under ./scripts/test.sh).</summary>
internal sealed record AzureServer(string ConnectionString, string Container, string Name)
{
    public static AzureServer? FromEnvironment() =>
        TestServers.Variable("SLATEDB_TEST_AZURE_CONNECTION_STRING") is { } connectionString
            ? new AzureServer(
                connectionString,
                TestServers.Variable("SLATEDB_TEST_AZURE_CONTAINER") ?? "slatedb-test",
                TestServers.Variable("SLATEDB_TEST_AZURE_SERVER") ?? "Azure Blob")
            : null;

    /// <summary>Store options for a fresh prefix in the test container (created on first use).</summary>
    public AzureBlobObjectStoreOptions Options(string prefix) => new()
    {
        ConnectionString = ConnectionString,
        Container = Container,
        Prefix = prefix,
        CreateContainerIfMissing = true,
    };

    /// <summary>A store on a fresh prefix of the test container.</summary>
    public AzureBlobObjectStore CreateStore(string kind, Action<AzureBlobObjectStoreOptions>? configure = null)
    {
        var options = Options(TestServers.UniquePrefix(kind));
        configure?.Invoke(options);
        return new AzureBlobObjectStore(options);
    }

    /// <summary>A raw SDK client for setup and inspection.</summary>
    public BlobServiceClient CreateServiceClient(BlobClientOptions? options = null) => new(ConnectionString, options);
}
