using SlateDb.IntegrationTests.Servers;
using SlateDb.ObjectStore;
using SlateDb.Testing.ObjectStores;
using Xunit;

namespace SlateDb.IntegrationTests.S3;

/// <summary>The object store contract against MinIO in a Testcontainers container; skipped without a Docker engine.</summary>
public sealed class MinioContractTests(MinioFixture minio) : ObjectStoreContract, IClassFixture<MinioFixture>
{
    protected override string? SkipReason => minio.SkipReason;

    protected override async Task<IObjectStore> CreateStoreAsync() => await minio.Server!.CreateStoreAsync("contract");
}
