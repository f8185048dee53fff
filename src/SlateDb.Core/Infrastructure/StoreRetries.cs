using SlateDb.ObjectStore;

namespace SlateDb.Infrastructure;

/// <summary>How every entry point (a writer, a reader, the admin, clones and copies) wraps the stores it is given.</summary>
internal static class StoreRetries
{
    /// <summary><paramref name="store"/> with retries on <paramref name="time"/> (itself when it already retries).</summary>
    public static RetryingObjectStore Retrying(IObjectStore store, TimeProvider time, DbRandom random)
        => store as RetryingObjectStore ?? new RetryingObjectStore(store, null, time, (int)(random.NextUInt64() & int.MaxValue));

    /// <summary>
    /// The WAL store with retries when it is separate from <paramref name="mainStore"/> (another URI); null when none is
    /// given or it is the main store itself.
    /// </summary>
    public static RetryingObjectStore? SeparateWal(IObjectStore? walStore, IObjectStore mainStore, TimeProvider time, DbRandom random)
        => walStore is not null && !string.Equals(walStore.Uri, mainStore.Uri, StringComparison.Ordinal) ? Retrying(walStore, time, random) : null;
}
