using System.Globalization;

namespace SlateDb.ObjectStore;

/// <summary>What an <see cref="InstrumentedObjectStore"/> has counted: requests per operation, bytes and errors.</summary>
public sealed record ObjectStoreStats
{
    /// <summary>Get requests (whole or ranged).</summary>
    public long Gets { get; init; }

    /// <summary>Head requests.</summary>
    public long Heads { get; init; }

    /// <summary>Put requests, of every mode.</summary>
    public long Puts { get; init; }

    /// <summary>List calls (each may read several pages from the store).</summary>
    public long Lists { get; init; }

    /// <summary>Delete requests.</summary>
    public long Deletes { get; init; }

    /// <summary>Copy requests.</summary>
    public long Copies { get; init; }

    /// <summary>Objects returned by listings.</summary>
    public long ListedObjects { get; init; }

    /// <summary>Bytes returned by gets.</summary>
    public long BytesRead { get; init; }

    /// <summary>Bytes sent by successful puts.</summary>
    public long BytesWritten { get; init; }

    /// <summary>Requests that failed, whatever the reason (not-found and conflicts included).</summary>
    public long Errors { get; init; }

    /// <summary>Every request, of every operation.</summary>
    public long TotalRequests => Gets + Heads + Puts + Lists + Deletes + Copies;

    /// <summary>The request count of one operation.</summary>
    public long RequestsOf(ObjectStoreOperation operation) => operation switch
    {
        ObjectStoreOperation.Get => Gets,
        ObjectStoreOperation.Head => Heads,
        ObjectStoreOperation.Put => Puts,
        ObjectStoreOperation.List => Lists,
        ObjectStoreOperation.Delete => Deletes,
        ObjectStoreOperation.Copy => Copies,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    /// <summary>The counts since <paramref name="earlier"/>, a snapshot of the same store taken before this one.</summary>
    public ObjectStoreStats Subtract(ObjectStoreStats earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        return new ObjectStoreStats
        {
            Gets = Gets - earlier.Gets,
            Heads = Heads - earlier.Heads,
            Puts = Puts - earlier.Puts,
            Lists = Lists - earlier.Lists,
            Deletes = Deletes - earlier.Deletes,
            Copies = Copies - earlier.Copies,
            ListedObjects = ListedObjects - earlier.ListedObjects,
            BytesRead = BytesRead - earlier.BytesRead,
            BytesWritten = BytesWritten - earlier.BytesWritten,
            Errors = Errors - earlier.Errors,
        };
    }

    /// <summary>The counts since <paramref name="earlier"/>.</summary>
    public static ObjectStoreStats operator -(ObjectStoreStats later, ObjectStoreStats earlier)
    {
        ArgumentNullException.ThrowIfNull(later);
        return later.Subtract(earlier);
    }

    /// <summary>One line such as <c>requests 12 (get 3, head 0, put 8, list 1, delete 0, copy 0), read 1.5 MiB, written 64 KiB, errors 0</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"requests {TotalRequests} (get {Gets}, head {Heads}, put {Puts}, list {Lists}, delete {Deletes}, copy {Copies}), " +
        $"listed {ListedObjects}, read {FormatBytes(BytesRead)}, written {FormatBytes(BytesWritten)}, errors {Errors}");

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };
}
