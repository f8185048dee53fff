using Microsoft.Extensions.Logging;
using SlateDb.Infrastructure;

namespace SlateDb.Gc;

/// <summary>
/// Runs a database's collector every <see cref="GcSettings.Interval"/> on the injected clock. A failed run is logged and
/// the next interval tries again: collection is never fatal to the database.
/// </summary>
internal static class GcSchedule
{
    /// <summary>Runs until <paramref name="stop"/> is cancelled.</summary>
    public static Task RunAsync(GarbageCollector collector, GcSettings settings, TimeProvider time, string dbPath, ILogger logger, CancellationToken stop)
    {
        var options = new GcOptions { MinAge = settings.MinAge };
        return PeriodicLoop.RunAsync(
            time,
            settings.Interval,
            async ct =>
            {
                try
                {
                    await collector.RunAsync(options, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Log.GcFailed(logger, dbPath, e);
                }

                return true;
            },
            stop);
    }
}
