using System.Globalization;
using System.Net.Sockets;

namespace SlateDb.ObjectStore;

/// <summary>What the HTTP-based stores (S3, Azure Blob) share when reading their SDKs' answers and failures.</summary>
internal static class HttpStoreErrors
{
    /// <summary>
    /// True when <paramref name="error"/> must propagate unchanged: it is already one of ours, or it is the
    /// cancellation the caller asked for (a timeout inside the SDK is a store failure instead).
    /// </summary>
    public static bool PassesThrough(Exception error, CancellationToken cancellationToken) =>
        error is ObjectStoreException || (error is OperationCanceledException && cancellationToken.IsCancellationRequested);

    /// <summary>True when <paramref name="error"/> or an exception it wraps is a network failure or a timeout.</summary>
    public static bool IsNetworkFailure(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException)
            {
                return true;
            }

            if (e is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Any(IsNetworkFailure);
            }
        }

        return false;
    }

    /// <summary>A store failure for an exception that carries no HTTP status: transient when it is a network failure.</summary>
    public static ObjectStoreException WithoutStatus(Exception error, string service, string operation, string path, string storeUri)
    {
        var transient = IsNetworkFailure(error);
        var what = transient ? $"{service} request failed (network or timeout)" : $"{service} request failed";
        return new ObjectStoreException(path, storeUri, $"{what} during {operation}: {error.Message}", transient, error);
    }

    /// <summary>The object's total size from a <c>Content-Range: bytes first-last/total</c> header; null without one.</summary>
    public static long? TotalSizeFromContentRange(string? contentRange)
    {
        if (string.IsNullOrEmpty(contentRange))
        {
            return null;
        }

        var slash = contentRange.LastIndexOf('/');
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total) ? total : null;
    }
}
