using Microsoft.Extensions.Logging;

namespace SlateDb.Admin;

/// <summary>How a <see cref="DbAdmin"/> measures time, draws ids and logs.</summary>
public sealed class DbAdminOptions
{
    /// <summary>The clock for checkpoint times, expiry and retry waits; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Seeds the randomness (checkpoint ids, retry jitter) so a run can be replayed; from the clock when null.</summary>
    public long? Seed { get; init; }

    /// <summary>Where the admin logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
