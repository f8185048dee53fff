using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.IntegrationTests.S3;

/// <summary>How S3 answers map to store errors; needs no server.</summary>
public sealed class S3ErrorMapperTests
{
    private const string Store = "s3://bucket";

    [Theory]
    [InlineData(412, "PreconditionFailed", "create", typeof(ObjectAlreadyExistsException))]
    [InlineData(412, "PreconditionFailed", "update", typeof(PreconditionFailedException))]
    [InlineData(404, "NoSuchKey", "update", typeof(PreconditionFailedException))]
    [InlineData(404, "NoSuchKey", "get", typeof(ObjectNotFoundException))]
    [InlineData(404, "", "head", typeof(ObjectNotFoundException))]
    [InlineData(404, "NoSuchKey", "copy", typeof(ObjectNotFoundException))]
    public void Conflicts_and_missing_objects_map_to_their_exceptions(int status, string code, string operation, Type expected)
    {
        var mapped = Map(Service(status, code), operation);
        Assert.IsType(expected, mapped);
        Assert.Equal("k", mapped.Path);
        Assert.False(mapped.IsTransient);
    }

    [Theory]
    [InlineData(409, "ConditionalRequestConflict", "create")]
    [InlineData(500, "InternalError", "update")]
    [InlineData(503, "SlowDown", "get")]
    [InlineData(503, "ServiceUnavailable", "list")]
    [InlineData(429, "TooManyRequests", "put")]
    [InlineData(408, "", "head")]
    [InlineData(400, "RequestTimeout", "put")]
    [InlineData(409, "OperationAborted", "delete")]
    public void Contention_throttling_and_server_errors_are_transient(int status, string code, string operation)
    {
        var mapped = Map(Service(status, code), operation);
        Assert.Equal(typeof(ObjectStoreException), mapped.GetType());
        Assert.True(mapped.IsTransient, mapped.Message);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), mapped.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(403, "AccessDenied", "put")]
    [InlineData(403, "SignatureDoesNotMatch", "get")]
    [InlineData(400, "InvalidArgument", "put")]
    [InlineData(400, "XAmzContentSHA256Mismatch", "put")]
    [InlineData(409, "BucketAlreadyExists", "put")]
    public void Refusals_are_permanent(int status, string code, string operation)
    {
        var mapped = Map(Service(status, code), operation);
        Assert.Equal(typeof(ObjectStoreException), mapped.GetType());
        Assert.False(mapped.IsTransient);
        Assert.Contains(code, mapped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_bucket_is_permanent_and_named()
    {
        var mapped = Map(Service(404, "NoSuchBucket"), "get");
        Assert.Equal(typeof(ObjectStoreException), mapped.GetType());
        Assert.Contains("bucket does not exist", mapped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Network_failures_and_sdk_timeouts_are_transient()
    {
        Assert.True(Map(new AmazonClientException("connect", new HttpRequestException("refused")), "get").IsTransient);
        Assert.True(Map(new IOException("reset"), "put").IsTransient);
        Assert.True(Map(new TaskCanceledException("timeout"), "get").IsTransient);
        Assert.False(Map(new AmazonClientException("bad configuration"), "get").IsTransient);
    }

    [Fact]
    public void The_callers_cancellation_propagates_unchanged()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Null(S3ErrorMapper.Map(new OperationCanceledException(cancelled.Token), S3Operation.Get, "k", Store, null, cancelled.Token));
    }

    [Fact]
    public void Invalid_range_is_recognised_by_status_or_code()
    {
        Assert.True(S3ErrorMapper.IsInvalidRange(Service(416, "InvalidRange")));
        Assert.True(S3ErrorMapper.IsInvalidRange(Service(416, "")));
        Assert.False(S3ErrorMapper.IsInvalidRange(Service(404, "NoSuchKey")));
    }

    private static AmazonS3Exception Service(int status, string code) =>
        new("message", ErrorType.Sender, code.Length == 0 ? null : code, "request-id", (HttpStatusCode)status);

    private static ObjectStoreException Map(Exception error, string operation)
    {
        var (op, mode) = operation switch
        {
            "create" => (S3Operation.Put, PutMode.Create),
            "update" => (S3Operation.Put, PutMode.Update("etag")),
            "put" => (S3Operation.Put, PutMode.Overwrite),
            "get" => (S3Operation.Get, (PutMode?)null),
            "head" => (S3Operation.Head, null),
            "list" => (S3Operation.List, null),
            "delete" => (S3Operation.Delete, null),
            "copy" => (S3Operation.Copy, null),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        return Assert.IsAssignableFrom<ObjectStoreException>(S3ErrorMapper.Map(error, op, "k", Store, mode, CancellationToken.None));
    }
}
