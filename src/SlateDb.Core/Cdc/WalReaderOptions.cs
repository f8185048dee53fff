using Microsoft.Extensions.Logging;
using SlateDb.ObjectStore;

namespace SlateDb;

/// <summary>How a <see cref="WalReader"/> finds the WAL and how its change feed waits at the tail.</summary>
public sealed class WalReaderOptions
{
    /// <summary>
    /// The WAL object store when the database keeps its WAL separately (it must be the store its manifest records). When
    /// null and the manifest records one, the reader opens the recorded URI with <see cref="ObjectStores.FromUri(string)"/>.
    /// </summary>
    public IObjectStore? WalObjectStore { get; init; }

    /// <summary>How often a following change feed looks for new WAL objects at the tail (1 second by default; must be positive).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock the feed polls with; the system clock when null (tests pass a fake clock).</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Seeds the retry jitter of store calls so a run can be replayed; from the clock when null.</summary>
    public long? Seed { get; init; }

    /// <summary>Where the reader logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
