using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using SlateDb.IntegrationTests.Servers;
using SlateDb.ObjectStore;
using SlateDb.Testing.Xunit;
using Xunit;

namespace SlateDb.IntegrationTests.Azure;

/// <summary>Azure Blob behaviour beyond the contract, against the Azure server of ./scripts/test.sh (Azurite).</summary>
public sealed class AzureBlobObjectStoreTests
{
    private const int MiB = 1024 * 1024;
    private static AzureServer Server => TestServers.AzureOrSkip();

    [SkippableFact]
    public async Task Large_puts_are_staged_blocks_and_keep_create_and_update_conditions()
    {
        var counter = new RequestCounter();
        var store = Server.CreateStore("staged", o =>
        {
            o.SingleUploadThreshold = 1 * MiB;
            o.BlockSize = 512 * 1024;
            o.ClientOptions = counter.Attach(new BlobClientOptions());
        });
        var first = TestData.Bytes(3 * MiB, seed: 21);

        var created = await store.PutAsync("big", first, PutMode.Create, new PutOptions { PutId = "staged-put" });
        Assert.True(counter.Count("comp=block") >= 6, $"staged blocks: {counter.Count("comp=block")}");
        Assert.Equal(1, counter.Count("comp=blocklist"));

        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.PutAsync("big", TestData.Bytes(3 * MiB, seed: 22), PutMode.Create));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => store.PutAsync("big", TestData.Bytes(3 * MiB, seed: 23), PutMode.Update("0x8D000000000000")));

        var got = await store.GetAsync("big");
        Assert.Equal(first, got.Bytes.ToArray());
        Assert.Equal(created.ETag, got.Meta.ETag);
        Assert.Equal("staged-put", got.Meta.PutId);

        var updated = await store.PutAsync("big", TestData.Bytes(3 * MiB, seed: 24), PutMode.Update(created.ETag));
        Assert.NotEqual(created.ETag, updated.ETag);
    }

    [SkippableFact]
    public async Task A_missing_container_is_created_only_when_asked()
    {
        var server = Server;
        var created = new AzureBlobObjectStore(new AzureBlobObjectStoreOptions
        {
            ConnectionString = server.ConnectionString,
            Container = "slatedb-new-" + Guid.NewGuid().ToString("N")[..12],
            CreateContainerIfMissing = true,
        });
        await created.PutAsync("x", new byte[] { 1 }, PutMode.Create);
        Assert.Equal(new byte[] { 1 }, (await created.GetAsync("x")).Bytes.ToArray());

        var missing = new AzureBlobObjectStore(new AzureBlobObjectStoreOptions
        {
            ConnectionString = server.ConnectionString,
            Container = "slatedb-missing-" + Guid.NewGuid().ToString("N")[..12],
        });
        var onPut = await Assert.ThrowsAsync<ObjectStoreException>(() => missing.PutAsync("x", new byte[] { 1 }, PutMode.Overwrite));
        Assert.False(onPut.IsTransient);
        Assert.Contains("container does not exist", onPut.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => missing.GetAsync("x"));
    }

    [SkippableFact]
    public async Task A_wrong_account_key_fails_permanently_with_the_status()
    {
        var server = Server;
        var parts = server.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.StartsWith("AccountKey=", StringComparison.Ordinal) ? "AccountKey=" + Convert.ToBase64String(new byte[64]) : p);
        var store = new AzureBlobObjectStore(new AzureBlobObjectStoreOptions { ConnectionString = string.Join(';', parts), Container = server.Container });

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("x", new byte[] { 1 }, PutMode.Overwrite));
        Assert.False(error.IsTransient);
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_a_transient_failure()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        var store = new AzureBlobObjectStore(new AzureBlobObjectStoreOptions
        {
            ServiceUri = new Uri($"http://127.0.0.1:{TestData.ClosedPort()}/devstoreaccount1"),
            Container = "c",
            ClientOptions = options,
        });

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.HeadAsync("x"));
        Assert.True(error.IsTransient, error.ToString());
        Assert.Equal("x", error.Path);
    }

    [SkippableFact]
    public async Task FromUri_opens_the_container_named_with_the_account_from_the_environment()
    {
        var server = Server;
        await server.CreateServiceClient().GetBlobContainerClient(server.Container).CreateIfNotExistsAsync();
        var settings = server.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        var endpoint = settings["BlobEndpoint"];
        var prefix = TestServers.UniquePrefix("fromuri");
        var uri = $"az://{server.Container}/{prefix}?endpoint={Uri.EscapeDataString(endpoint)}";

        // Account and key variables, with the endpoint from the URI.
        var byKey = ObjectStores.FromUri(uri, name => name switch
        {
            "AZURE_STORAGE_ACCOUNT" => settings["AccountName"],
            "AZURE_STORAGE_KEY" => settings["AccountKey"],
            _ => null,
        });
        await byKey.PutAsync("hello", "world"u8.ToArray(), PutMode.Create);

        // A connection string, reopening the store from its own URI.
        var byConnectionString = ObjectStores.FromUri(byKey.Uri, name => name == "AZURE_STORAGE_CONNECTION_STRING" ? server.ConnectionString : null);
        Assert.Equal(byKey.Uri, byConnectionString.Uri);
        Assert.Equal("world"u8.ToArray(), (await byConnectionString.GetAsync("hello")).Bytes.ToArray());
    }


    /// <summary>Counts the requests a client sends, keyed by a substring of their query ("comp=block", ...).</summary>
    private sealed class RequestCounter : HttpPipelinePolicy
    {
        private readonly ConcurrentQueue<string> _queries = new();

        public BlobClientOptions Attach(BlobClientOptions options)
        {
            options.AddPolicy(this, HttpPipelinePosition.PerCall);
            return options;
        }

        public int Count(string queryPart) => _queries.Count(q => q.Split('&').Contains(queryPart));

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            _queries.Enqueue(message.Request.Uri.Query.TrimStart('?'));
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            _queries.Enqueue(message.Request.Uri.Query.TrimStart('?'));
            return ProcessNextAsync(message, pipeline);
        }
    }
}
