using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using SlateDb.ObjectStore;

namespace SlateDb.IntegrationTests.Servers;

/// <summary>An S3-compatible server the tests can use: where it is, how to sign in, and its test bucket.</summary>
internal sealed record S3Server(Uri Endpoint, string Region, string AccessKey, string SecretKey, string Bucket, string Name)
{
    private static readonly ConcurrentDictionary<(Uri, string), Lazy<Task>> Buckets = new();

    public static S3Server? FromEnvironment()
    {
        if (TestServers.Variable("SLATEDB_TEST_S3_ENDPOINT") is not { } endpoint)
        {
            return null;
        }

        string Need(string name) => TestServers.Variable(name) ?? throw new InvalidOperationException($"SLATEDB_TEST_S3_ENDPOINT is set but {name} is not.");
        return new S3Server(
            new Uri(endpoint),
            TestServers.Variable("SLATEDB_TEST_S3_REGION") ?? "us-east-1",
            Need("SLATEDB_TEST_S3_ACCESS_KEY"),
            Need("SLATEDB_TEST_S3_SECRET_KEY"),
            TestServers.Variable("SLATEDB_TEST_S3_BUCKET") ?? "slatedb-test",
            TestServers.Variable("SLATEDB_TEST_S3_SERVER") ?? "S3 server");
    }

    public AWSCredentials Credentials => new BasicAWSCredentials(AccessKey, SecretKey);

    /// <summary>Store options for a fresh prefix in the test bucket.</summary>
    public S3ObjectStoreOptions Options(string prefix) => new()
    {
        Bucket = Bucket,
        Prefix = prefix,
        Endpoint = Endpoint,
        Region = Region,
        Credentials = Credentials,
    };

    /// <summary>A raw SDK client configured as <see cref="S3ObjectStore"/> configures its own, for setup and inspection.</summary>
    public AmazonS3Client CreateClient(int? maxErrorRetry = null)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Endpoint.ToString(),
            AuthenticationRegion = Region,
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (maxErrorRetry is { } retries)
        {
            config.MaxErrorRetry = retries;
        }

        return new AmazonS3Client(Credentials, config);
    }

    /// <summary>Creates the test bucket once per process (an existing bucket is fine).</summary>
    public Task EnsureBucketAsync() => Buckets.GetOrAdd((Endpoint, Bucket), _ => new Lazy<Task>(CreateBucketAsync)).Value;

    /// <summary>A store on a fresh prefix of the test bucket.</summary>
    public async Task<S3ObjectStore> CreateStoreAsync(string kind, Action<S3ObjectStoreOptions>? configure = null)
    {
        await EnsureBucketAsync();
        var options = Options(TestServers.UniquePrefix(kind));
        configure?.Invoke(options);
        return new S3ObjectStore(options);
    }

    private async Task CreateBucketAsync()
    {
        using var client = CreateClient();
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }
}
