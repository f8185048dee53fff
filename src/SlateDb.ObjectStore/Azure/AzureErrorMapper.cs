using System.Globalization;
using Azure;

namespace SlateDb.ObjectStore;

/// <summary>The operations whose failures <see cref="AzureErrorMapper"/> maps.</summary>
internal enum AzureOperation
{
    Get,
    Head,
    Put,
    List,
    Delete,
    Copy,
}

/// <summary>
/// Turns Azure SDK failures into this library's <see cref="ObjectStoreException"/> family.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>404 (BlobNotFound, ContainerNotFound, CannotVerifyCopySource) on GET, HEAD or COPY → <see cref="ObjectNotFoundException"/>.</item>
/// <item>A create (<c>If-None-Match: *</c>) that finds a blob → 409 BlobAlreadyExists (or 412 from a block-list
/// commit) → <see cref="ObjectAlreadyExistsException"/>.</item>
/// <item>An update (<c>If-Match</c>) that finds another etag or no blob → 412 ConditionNotMet or 404 →
/// <see cref="PreconditionFailedException"/>.</item>
/// <item>5xx, 408, 429, status 0 (no response), timeouts and connection failures → transient.</item>
/// <item>Everything else (400, 403, other 409s) → permanent.</item>
/// </list>
/// </remarks>
internal static class AzureErrorMapper
{
    /// <summary>True when <paramref name="error"/> is the answer to a range that starts at or past the end of the blob.</summary>
    public static bool IsInvalidRange(Exception error) =>
        error is RequestFailedException { Status: 416 }
        || (error is RequestFailedException e && string.Equals(e.ErrorCode, "InvalidRange", StringComparison.Ordinal));

    /// <summary>
    /// Maps <paramref name="error"/> from <paramref name="operation"/> on <paramref name="path"/>; null when the error must
    /// propagate unchanged (a cancellation the caller requested).
    /// </summary>
    public static Exception? Map(Exception error, AzureOperation operation, string path, string storeUri, PutMode? mode, CancellationToken cancellationToken)
    {
        if (HttpStoreErrors.PassesThrough(error, cancellationToken))
        {
            return error as ObjectStoreException;
        }

        // The SDK reports exhausted retries as an AggregateException of each attempt's failure; the last one decides.
        var cause = error is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[^1] : error;
        if (cause is RequestFailedException { Status: > 0 } failed)
        {
            return MapStatus(failed, error, operation, path, storeUri, mode);
        }

        // Status 0: the request got no response at all.
        return cause is RequestFailedException { Status: 0 }
            ? new ObjectStoreException(path, storeUri, $"Azure Blob request got no response during {operation}: {cause.Message}", isTransient: true, error)
            : HttpStoreErrors.WithoutStatus(error, "Azure Blob", operation.ToString(), path, storeUri);
    }

    private static ObjectStoreException MapStatus(RequestFailedException failed, Exception error, AzureOperation operation, string path, string storeUri, PutMode? mode)
    {
        var status = failed.Status;
        var code = failed.ErrorCode ?? "";
        if (operation == AzureOperation.Put && mode is { Kind: PutModeKind.Create } && (status == 412 || (status == 409 && code == "BlobAlreadyExists")))
        {
            return new ObjectAlreadyExistsException(path, storeUri, error);
        }

        if (operation == AzureOperation.Put && mode is { Kind: PutModeKind.Update } && (status == 412 || (status == 404 && code != "ContainerNotFound")))
        {
            return new PreconditionFailedException(path, storeUri, mode.ETag, error);
        }

        if (code == "ContainerNotFound" && operation is not (AzureOperation.Get or AzureOperation.Head))
        {
            return new ObjectStoreException(path, storeUri, $"The container does not exist (Azure {status} ContainerNotFound during {operation}); create it or set CreateContainerIfMissing", isTransient: false, error);
        }

        if (status == 404 && operation is AzureOperation.Get or AzureOperation.Head or AzureOperation.Copy)
        {
            return new ObjectNotFoundException(path, storeUri, error);
        }

        var transient = status >= 500 || status is 408 or 429 || code is "ContainerBeingDeleted" or "OperationTimedOut" or "ServerBusy";
        var detail = code.Length > 0 ? $"{status} {code}" : status.ToString(CultureInfo.InvariantCulture);
        return new ObjectStoreException(path, storeUri, $"Azure Blob {operation} failed with {detail}: {FirstLine(failed.Message)}", transient, error);
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? message : message[..newline].TrimEnd('\r');
    }
}
