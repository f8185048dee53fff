using Microsoft.Extensions.Logging;
using SlateDb.Infrastructure;

namespace SlateDb.Clones;

/// <summary>What clones and copies need besides their stores: the clock, seeded ids, logging and a concurrency bound.</summary>
/// <param name="Time">Checkpoint create and expire times.</param>
/// <param name="Random">Checkpoint ids.</param>
/// <param name="Logger">Progress and decisions.</param>
/// <param name="MaxConcurrency">How many objects are copied at once (at least 1).</param>
internal sealed record CloneServices(TimeProvider Time, DbRandom Random, ILogger Logger, int MaxConcurrency)
{
    /// <summary>The default number of objects copied at once.</summary>
    public const int DefaultMaxConcurrency = 8;
}
