using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Xunit;

namespace SlateDb.IntegrationTests.Servers;

/// <summary>
/// A MinIO server in a container started through Testcontainers, shared by one test class. Without a Docker engine
/// it starts nothing and gives a <see cref="SkipReason"/> (found in a few seconds, see <see cref="DockerProbe"/>).
/// </summary>
/// <remarks>
/// Built with the generic <see cref="ContainerBuilder"/>; <see cref="CreateContainer"/> is the one place to swap in
/// the Testcontainers.Minio module. <c>SLATEDB_TEST_MINIO_IMAGE</c> overrides the image.
/// </remarks>
public sealed class MinioFixture : IAsyncLifetime
{
    private const string DefaultImage = "minio/minio:RELEASE.2025-04-22T22-12-26Z";
    private const string User = "slatedbminio";
    private const string Password = "slatedbminiosecret";
    private const int Port = 9000;

    private IContainer? _container;

    /// <summary>Why the MinIO tests cannot run here; null once the server is up.</summary>
    public string? SkipReason { get; private set; } = "MinIO fixture not started";

    internal S3Server? Server { get; private set; }

    public async Task InitializeAsync()
    {
        if (await DockerProbe.WhyUnavailableAsync() is { } reason)
        {
            SkipReason = $"MinIO runs in a Testcontainers container and {reason}";
            return;
        }

        _container = CreateContainer(TestServers.Variable("SLATEDB_TEST_MINIO_IMAGE") ?? DefaultImage);
        await _container.StartAsync();
        var endpoint = new Uri($"http://{_container.Hostname}:{_container.GetMappedPublicPort(Port)}");
        Server = new S3Server(endpoint, "us-east-1", User, Password, "slatedb-test", "MinIO");
        await Server.EnsureBucketAsync();
        SkipReason = null;
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private static IContainer CreateContainer(string image) =>
        new ContainerBuilder(image)
            .WithCommand("server", "/data")
            .WithEnvironment("MINIO_ROOT_USER", User)
            .WithEnvironment("MINIO_ROOT_PASSWORD", Password)
            .WithPortBinding(Port, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(request => request.ForPath("/minio/health/ready").ForPort(Port)))
            .Build();
}
