using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using SlateDb.IntegrationTests.Servers;
using SlateDb.ObjectStore;
using SlateDb.Testing.Xunit;
using Xunit;
using ByteRange = SlateDb.ObjectStore.ByteRange;

namespace SlateDb.IntegrationTests.S3;

/// <summary>S3 behaviour beyond the contract, against the S3 server of ./scripts/test.sh (Ceph radosgw).</summary>
public sealed class S3ObjectStoreTests
{
    private const int MiB = 1024 * 1024;
    private static S3Server Server => TestServers.S3OrSkip();

    [SkippableFact]
    public async Task Overwrite_above_the_threshold_is_a_multipart_upload_of_slices()
    {
        var server = Server;
        await server.EnsureBucketAsync();
        using var raw = server.CreateClient();
        var (client, calls) = CountingS3Client.Wrap(raw);
        var store = new S3ObjectStore(client, SmallParts(server.Options(TestServers.UniquePrefix("multipart"))));
        var data = TestData.Bytes((12 * MiB) + 3, seed: 11);

        var put = await store.PutAsync("big.sst", data, PutMode.Overwrite, new PutOptions { PutId = "multipart-put" });

        Assert.Equal(1, calls.Count(nameof(IAmazonS3.InitiateMultipartUploadAsync)));
        Assert.Equal(3, calls.Count(nameof(IAmazonS3.UploadPartAsync)));
        Assert.Equal(1, calls.Count(nameof(IAmazonS3.CompleteMultipartUploadAsync)));
        Assert.Equal(0, calls.Count(nameof(IAmazonS3.PutObjectAsync)));
        Assert.Equal(data.Length, put.Size);
        Assert.False(string.IsNullOrEmpty(put.ETag));

        var got = await store.GetAsync("big.sst");
        Assert.Equal(data, got.Bytes.ToArray());
        Assert.Equal(put.ETag, got.Meta.ETag);
        Assert.Equal("multipart-put", got.Meta.PutId);
        Assert.Equal(data.AsSpan(5 * MiB - 2, 4).ToArray(), (await store.GetAsync("big.sst", new ByteRange((5 * MiB) - 2, 4))).Bytes.ToArray());
    }

    [SkippableFact]
    public async Task Create_above_the_threshold_is_one_conditional_put_that_refuses_an_existing_object()
    {
        // Servers such as radosgw ignore If-None-Match on CompleteMultipartUpload, so a create is never multipart.
        var server = Server;
        await server.EnsureBucketAsync();
        using var raw = server.CreateClient();
        var (client, calls) = CountingS3Client.Wrap(raw);
        var store = new S3ObjectStore(client, SmallParts(server.Options(TestServers.UniquePrefix("bigcreate"))));
        var first = TestData.Bytes(12 * MiB, seed: 12);

        await store.PutAsync("manifest", first, PutMode.Create);
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.PutAsync("manifest", TestData.Bytes(12 * MiB, seed: 13), PutMode.Create));

        Assert.Equal(0, calls.Count(nameof(IAmazonS3.InitiateMultipartUploadAsync)));
        Assert.Equal(2, calls.Count(nameof(IAmazonS3.PutObjectAsync)));
        Assert.Equal(first, (await store.GetAsync("manifest")).Bytes.ToArray());
    }

    [SkippableFact]
    public async Task A_failed_part_aborts_the_multipart_upload()
    {
        var server = Server;
        await server.EnsureBucketAsync();
        using var raw = server.CreateClient();
        var (client, calls) = CountingS3Client.Wrap(raw);
        var prefix = TestServers.UniquePrefix("abort");
        var store = new S3ObjectStore(client, SmallParts(server.Options(prefix)));
        calls.FailCall(nameof(IAmazonS3.UploadPartAsync), 2, new AmazonS3Exception("injected", Amazon.Runtime.ErrorType.Sender, "AccessDenied", "test", HttpStatusCode.Forbidden));

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("doomed.sst", TestData.Bytes(12 * MiB, seed: 14), PutMode.Overwrite));
        Assert.False(error.IsTransient);
        Assert.Equal(1, calls.Count(nameof(IAmazonS3.AbortMultipartUploadAsync)));
        Assert.Equal(0, calls.Count(nameof(IAmazonS3.CompleteMultipartUploadAsync)));

        var pending = await raw.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = server.Bucket, Prefix = prefix });
        Assert.Empty(pending.MultipartUploads ?? []);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.HeadAsync("doomed.sst"));
    }

    [SkippableFact]
    public async Task If_Match_with_the_etag_unquoted_updates_and_a_stale_one_is_refused()
    {
        var server = Server;
        await server.EnsureBucketAsync();
        using var raw = server.CreateClient();
        var key = TestServers.UniquePrefix("ifmatch") + "/obj";
        var created = await raw.PutObjectAsync(new PutObjectRequest { BucketName = server.Bucket, Key = key, ContentBody = "v1" });
        var unquoted = created.ETag.Trim('"');

        var updated = await raw.PutObjectAsync(new PutObjectRequest { BucketName = server.Bucket, Key = key, ContentBody = "v2", IfMatch = unquoted });
        Assert.NotEqual(created.ETag, updated.ETag);

        var stale = await Assert.ThrowsAsync<AmazonS3Exception>(() => raw.PutObjectAsync(new PutObjectRequest { BucketName = server.Bucket, Key = key, ContentBody = "v3", IfMatch = unquoted }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
    }

    [SkippableFact]
    public async Task Wrong_credentials_fail_permanently_with_the_status()
    {
        var server = Server;
        await server.EnsureBucketAsync();
        var options = server.Options(TestServers.UniquePrefix("badkey"));
        options.Credentials = new Amazon.Runtime.BasicAWSCredentials(server.AccessKey, "not-the-secret");
        using var store = new S3ObjectStore(options);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("x", new byte[] { 1 }, PutMode.Overwrite));
        Assert.False(error.IsTransient);
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_missing_bucket_fails_permanently_and_says_so()
    {
        var server = Server;
        var options = server.Options("x");
        options.Bucket = "slatedb-no-such-bucket-" + Guid.NewGuid().ToString("N")[..12];
        using var store = new S3ObjectStore(options);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("x", new byte[] { 1 }, PutMode.Overwrite));
        Assert.False(error.IsTransient);
        Assert.Contains("bucket does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_a_transient_failure()
    {
        var port = TestData.ClosedPort();
        var config = new AmazonS3Config { ServiceURL = $"http://127.0.0.1:{port}", ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 };
        using var client = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("a", "b"), config);
        var store = new S3ObjectStore(client, new S3ObjectStoreOptions { Bucket = "b", Endpoint = new Uri(config.ServiceURL) });

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.HeadAsync("x"));
        Assert.True(error.IsTransient, error.ToString());
        Assert.Equal("x", error.Path);
    }

    [SkippableFact]
    public async Task FromUri_opens_the_bucket_with_credentials_from_the_environment()
    {
        var server = Server;
        Skip.If(
            !TestServers.Required && Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is null,
            "AWS_ACCESS_KEY_ID is not set: " + TestServers.HowToRun);
        Assert.Equal(server.AccessKey, Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"));
        await server.EnsureBucketAsync();
        var prefix = TestServers.UniquePrefix("fromuri");
        var uri = $"s3://{server.Bucket}/{prefix}?endpoint={Uri.EscapeDataString(server.Endpoint.ToString())}&region={server.Region}";

        var store = ObjectStores.FromUri(uri);
        using (store as IDisposable)
        {
            await store.PutAsync("hello", "world"u8.ToArray(), PutMode.Create);
            Assert.Equal("world"u8.ToArray(), (await store.GetAsync("hello")).Bytes.ToArray());
            Assert.StartsWith($"s3://{server.Bucket}/{prefix}?endpoint=", store.Uri, StringComparison.Ordinal);

            // The store's own URI opens the same store.
            var again = ObjectStores.FromUri(store.Uri);
            using (again as IDisposable)
            {
                Assert.Equal(store.Uri, again.Uri);
                Assert.Equal("world"u8.ToArray(), (await again.GetAsync("hello")).Bytes.ToArray());
            }
        }
    }

    private static S3ObjectStoreOptions SmallParts(S3ObjectStoreOptions options)
    {
        options.PartSize = 5 * MiB;
        options.MultipartThreshold = 5 * MiB;
        return options;
    }

}
