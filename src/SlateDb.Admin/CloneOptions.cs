using Microsoft.Extensions.Logging;

namespace SlateDb.Admin;

/// <summary>How <see cref="DbAdmin.CreateCloneAsync(string, string, ObjectStore.IObjectStore, Guid?, ObjectStore.IObjectStore?, ObjectStore.IObjectStore?, CloneOptions?, CancellationToken)"/>
/// and <see cref="DbAdmin.CopyAsync"/> measure time, draw ids, log and how many objects they copy at once.</summary>
public sealed class CloneOptions
{
    /// <summary>The default of <see cref="MaxConcurrency"/>.</summary>
    public const int DefaultMaxConcurrency = 8;

    /// <summary>The clock for checkpoint times and expiry; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Seeds the randomness (checkpoint ids, retry jitter) so a run can be replayed; from the clock when null.</summary>
    public long? Seed { get; init; }

    /// <summary>Where progress and decisions are logged; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>How many objects are copied (and verified) at once; 1 to 64, <see cref="DefaultMaxConcurrency"/> by default.</summary>
    public int MaxConcurrency { get; init; } = DefaultMaxConcurrency;
}
