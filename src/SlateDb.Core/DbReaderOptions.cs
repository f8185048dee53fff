using Microsoft.Extensions.Logging;
using SlateDb.ObjectStore;

namespace SlateDb;

/// <summary>How a <see cref="DbReader"/> opens: following the latest data or pinned to a checkpoint, and its clock and logging.</summary>
public sealed class DbReaderOptions
{
    /// <summary>
    /// The checkpoint whose manifest the reader is pinned to (the view never moves); null (the default) follows the
    /// latest manifest and tails the WAL.
    /// </summary>
    public Guid? CheckpointId { get; init; }

    /// <summary>The WAL object store when the database keeps its WAL separately (it must be the store its manifest records).</summary>
    public IObjectStore? WalObjectStore { get; init; }

    /// <summary>How often a following reader looks for a new manifest and new WAL objects (1 second by default).</summary>
    public TimeSpan ManifestPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The lifetime of the checkpoint a following reader keeps so garbage collection leaves what it reads (10 minutes
    /// by default; more than twice <see cref="ManifestPollInterval"/>). The reader refreshes it as it follows and
    /// deletes it when disposed.
    /// </summary>
    public TimeSpan CheckpointLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The settings of the reader's block cache and memtables, and of the writer <see cref="DbReader.PromoteAsync"/>
    /// opens; defaults when null.
    /// </summary>
    public Settings? Settings { get; init; }

    /// <summary>The clock for polling and checkpoint expiry; the system clock when null (tests pass a fake clock).</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Seeds the randomness (checkpoint ids, retry jitter) so a run can be replayed; from the clock when null.</summary>
    public long? Seed { get; init; }

    /// <summary>Where the reader (and a writer it is promoted to) logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
