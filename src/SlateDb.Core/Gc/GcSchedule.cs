using Microsoft.Extensions.Logging;
using SlateDb.Infrastructure;

namespace SlateDb.Gc;

/// <summary>
/// Runs a database's collector on the injected clock: every <see cref="GcSettings.Interval"/> while there is work, and
/// less often while there is none. A failed run is logged and the next interval tries again: collection is never fatal
/// to the database.
/// </summary>
/// <remarks>
/// Back-off: after a run that deleted nothing while the latest manifest id stayed the one the previous run read, the
/// delay doubles, up to <see cref="MaxIdleInterval"/> (or the interval, when that is longer); a run that deletes
/// something, a changed manifest id or a failure brings it back to the interval.
/// </remarks>
internal static class GcSchedule
{
    /// <summary>The longest delay the back-off reaches: six hours.</summary>
    public static readonly TimeSpan MaxIdleInterval = TimeSpan.FromHours(6);

    /// <summary>Runs until <paramref name="stop"/> is cancelled.</summary>
    public static async Task RunAsync(GarbageCollector collector, GcSettings settings, TimeProvider time, string dbPath, ILogger logger, CancellationToken stop)
    {
        var options = new GcOptions { MinAge = settings.MinAge };
        var longest = settings.Interval > MaxIdleInterval ? settings.Interval : MaxIdleInterval;
        var delay = settings.Interval;
        ulong? previousId = null;
        try
        {
            while (true)
            {
                await Task.Delay(delay, time, stop).ConfigureAwait(false);
                GcResult? result = null;
                try
                {
                    result = await collector.RunAsync(options, stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    Log.GcFailed(logger, dbPath, e);
                }

                var quiet = result is not null && result == new GcResult() && previousId == collector.LastManifestId;
                delay = quiet ? TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, longest.Ticks)) : settings.Interval;
                previousId = result is null ? null : collector.LastManifestId;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
