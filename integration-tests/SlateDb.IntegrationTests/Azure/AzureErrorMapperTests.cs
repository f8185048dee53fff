using Azure;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.IntegrationTests.Azure;

/// <summary>How Azure Blob answers map to store errors; needs no server.</summary>
public sealed class AzureErrorMapperTests
{
    private const string Store = "az://container";

    [Theory]
    [InlineData(409, "BlobAlreadyExists", "create", typeof(ObjectAlreadyExistsException))]
    [InlineData(412, "ConditionNotMet", "create", typeof(ObjectAlreadyExistsException))]
    [InlineData(412, "ConditionNotMet", "update", typeof(PreconditionFailedException))]
    [InlineData(404, "BlobNotFound", "update", typeof(PreconditionFailedException))]
    [InlineData(404, "BlobNotFound", "get", typeof(ObjectNotFoundException))]
    [InlineData(404, "ContainerNotFound", "head", typeof(ObjectNotFoundException))]
    [InlineData(404, "CannotVerifyCopySource", "copy", typeof(ObjectNotFoundException))]
    public void Conflicts_and_missing_blobs_map_to_their_exceptions(int status, string code, string operation, Type expected)
    {
        var mapped = Map(new RequestFailedException(status, "message", code, null), operation);
        Assert.IsType(expected, mapped);
        Assert.Equal("k", mapped.Path);
        Assert.False(mapped.IsTransient);
    }

    [Theory]
    [InlineData(500, "InternalError")]
    [InlineData(503, "ServerBusy")]
    [InlineData(429, "")]
    [InlineData(408, "")]
    [InlineData(409, "ContainerBeingDeleted")]
    public void Throttling_timeouts_and_server_errors_are_transient(int status, string code)
    {
        var mapped = Map(new RequestFailedException(status, "message", code, null), "put");
        Assert.Equal(typeof(ObjectStoreException), mapped.GetType());
        Assert.True(mapped.IsTransient, mapped.Message);
    }

    [Theory]
    [InlineData(403, "AuthenticationFailed", "put")]
    [InlineData(400, "InvalidHeaderValue", "get")]
    [InlineData(409, "LeaseIdMissing", "put")]
    public void Refusals_are_permanent(int status, string code, string operation)
    {
        var mapped = Map(new RequestFailedException(status, "message", code, null), operation);
        Assert.Equal(typeof(ObjectStoreException), mapped.GetType());
        Assert.False(mapped.IsTransient);
        Assert.Contains(code, mapped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_container_on_write_is_permanent_and_says_how_to_fix_it()
    {
        var mapped = Map(new RequestFailedException(404, "message", "ContainerNotFound", null), "put");
        Assert.Equal(typeof(ObjectStoreException), mapped.GetType());
        Assert.Contains("CreateContainerIfMissing", mapped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exhausted_retries_are_judged_by_the_last_attempt()
    {
        var noResponse = new AggregateException(new RequestFailedException("refused", new HttpRequestException("refused")), new RequestFailedException("refused"));
        Assert.True(Map(noResponse, "get").IsTransient);

        var lastServerError = new AggregateException(new RequestFailedException(500, "m", "InternalError", null), new RequestFailedException(503, "m", "ServerBusy", null));
        Assert.True(Map(lastServerError, "get").IsTransient);
    }

    [Fact]
    public void The_callers_cancellation_propagates_unchanged()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Null(AzureErrorMapper.Map(new OperationCanceledException(cancelled.Token), AzureOperation.Get, "k", Store, null, cancelled.Token));
    }

    [Fact]
    public void Invalid_range_is_recognised()
    {
        Assert.True(AzureErrorMapper.IsInvalidRange(new RequestFailedException(416, "m", "InvalidRange", null)));
        Assert.False(AzureErrorMapper.IsInvalidRange(new RequestFailedException(404, "m", "BlobNotFound", null)));
    }

    private static ObjectStoreException Map(Exception error, string operation)
    {
        var (op, mode) = operation switch
        {
            "create" => (AzureOperation.Put, PutMode.Create),
            "update" => (AzureOperation.Put, PutMode.Update("etag")),
            "put" => (AzureOperation.Put, PutMode.Overwrite),
            "get" => (AzureOperation.Get, (PutMode?)null),
            "head" => (AzureOperation.Head, null),
            "copy" => (AzureOperation.Copy, null),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        return Assert.IsAssignableFrom<ObjectStoreException>(AzureErrorMapper.Map(error, op, "k", Store, mode, CancellationToken.None));
    }
}
