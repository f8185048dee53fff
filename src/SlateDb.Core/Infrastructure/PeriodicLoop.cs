namespace SlateDb.Infrastructure;

/// <summary>
/// Runs a step every interval of an injected clock until the step says stop or the token is cancelled: the skeleton
/// of the periodic background tasks (the manifest poller, the compactor's and the collector's schedules).
/// </summary>
internal static class PeriodicLoop
{
    /// <summary>Calls <paramref name="step"/> after each <paramref name="interval"/>; a false result ends the loop.</summary>
    /// <returns>A task that completes when the loop ends; cancellation of <paramref name="stop"/> ends it quietly.</returns>
    public static async Task RunAsync(TimeProvider time, TimeSpan interval, Func<CancellationToken, Task<bool>> step, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (!await step(stop).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
