using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace SlateDb.ObjectStore;

/// <summary>The operations whose failures <see cref="S3ErrorMapper"/> maps.</summary>
internal enum S3Operation
{
    Get,
    Head,
    Put,
    List,
    Delete,
    Copy,
}

/// <summary>
/// Turns AWS SDK failures into this library's <see cref="ObjectStoreException"/> family, deciding what each status
/// means for the operation that got it and whether retrying may help.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>404 / NoSuchKey on GET, HEAD or COPY → <see cref="ObjectNotFoundException"/>; NoSuchBucket → permanent.</item>
/// <item>412 on a create (<c>If-None-Match: *</c>) → <see cref="ObjectAlreadyExistsException"/>; 412 on an update
/// (<c>If-Match</c>) → <see cref="PreconditionFailedException"/>. Ceph radosgw answers a conditional PUT on a
/// missing key with 404, which for an update also means the precondition failed.</item>
/// <item>409 ConditionalRequestConflict (a concurrent conditional write won the race for now) → transient: the
/// caller retries and then sees the definitive 412 or success.</item>
/// <item>5xx (including a 500 radosgw may return to the loser of concurrent <c>If-Match</c> writes), 408, 429,
/// SlowDown and throttling codes, timeouts and connection failures → transient.</item>
/// <item>Everything else (400, 403, ...) → permanent.</item>
/// </list>
/// </remarks>
internal static class S3ErrorMapper
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable",
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "ConditionalRequestConflict", "OperationAborted", "RequestTimeTooSkewed",
        "PriorRequestNotComplete", "EC2ThrottledException",
    };

    /// <summary>True when <paramref name="error"/> is S3's answer to a range that starts at or past the end of the object.</summary>
    public static bool IsInvalidRange(Exception error) =>
        error is AmazonS3Exception { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable }
        || (error is AmazonS3Exception s3 && string.Equals(s3.ErrorCode, "InvalidRange", StringComparison.Ordinal));

    /// <summary>
    /// Maps <paramref name="error"/> from <paramref name="operation"/> on <paramref name="path"/>. Returns null when the
    /// error must propagate unchanged (cancellation requested by the caller).
    /// </summary>
    /// <param name="error">What the SDK threw.</param>
    /// <param name="operation">The operation that failed.</param>
    /// <param name="path">The object (or prefix) the operation was about.</param>
    /// <param name="storeUri">The store's URI, for the message.</param>
    /// <param name="mode">The put mode, for <see cref="S3Operation.Put"/>.</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it requested is not a store failure.</param>
    public static Exception? Map(Exception error, S3Operation operation, string path, string storeUri, PutMode? mode, CancellationToken cancellationToken)
    {
        if (HttpStoreErrors.PassesThrough(error, cancellationToken))
        {
            return error as ObjectStoreException;
        }

        if (error is AmazonServiceException service && service.StatusCode != 0)
        {
            return MapService(service, operation, path, storeUri, mode);
        }

        return HttpStoreErrors.WithoutStatus(error, "S3", operation.ToString(), path, storeUri);
    }

    private static ObjectStoreException MapService(AmazonServiceException error, S3Operation operation, string path, string storeUri, PutMode? mode)
    {
        var status = (int)error.StatusCode;
        var code = error.ErrorCode ?? "";
        var conditional = operation == S3Operation.Put && mode is { Kind: not PutModeKind.Overwrite };

        if (string.Equals(code, "NoSuchBucket", StringComparison.Ordinal))
        {
            return new ObjectStoreException(path, storeUri, $"The bucket does not exist (S3 {status} NoSuchBucket during {operation})", isTransient: false, error);
        }

        if (status == 412 && conditional)
        {
            return mode!.Kind == PutModeKind.Create
                ? new ObjectAlreadyExistsException(path, storeUri, error)
                : new PreconditionFailedException(path, storeUri, mode.ETag, error);
        }

        if (status == 404 && conditional && mode!.Kind == PutModeKind.Update)
        {
            return new PreconditionFailedException(path, storeUri, mode.ETag, error);
        }

        if (status == 404 && operation is S3Operation.Get or S3Operation.Head or S3Operation.Copy)
        {
            return new ObjectNotFoundException(path, storeUri, error);
        }

        var transient = status >= 500 || status is 408 or 429 || TransientCodes.Contains(code);
        var detail = code.Length > 0 ? $"{status} {code}" : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ObjectStoreException(path, storeUri, $"S3 {operation} failed with {detail}: {error.Message}", transient, error);
    }
}
