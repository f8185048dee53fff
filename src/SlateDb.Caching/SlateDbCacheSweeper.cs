using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SlateDb.Caching;

/// <summary>Runs <see cref="SlateDbCache.RemoveExpiredAsync"/> every <see cref="SlateDbCacheOptions.SweepInterval"/> on the injected clock.</summary>
/// <remarks>
/// A failed sweep is logged and the next interval tries again (a closed or fenced database stops the host's use of the
/// cache anyway). <see cref="SweepFinished"/> lets tests await a sweep instead of sleeping.
/// </remarks>
internal sealed partial class SlateDbCacheSweeper(SlateDbCache cache, TimeProvider time, ILogger<SlateDbCacheSweeper> logger) : BackgroundService
{
    /// <summary>Raised after each sweep with the number of entries removed (-1 when it failed).</summary>
    internal event Action<int>? SweepFinished;

    // Created when the host starts (ExecuteAsync may run later, on another thread), so the first interval counts from the start.
    private PeriodicTimer? _timer;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = new PeriodicTimer(cache.Options.SweepInterval, time);
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timer = _timer ?? throw new InvalidOperationException("The sweeper runs only after StartAsync.");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                int removed;
                try
                {
                    removed = await cache.RemoveExpiredAsync(stoppingToken).ConfigureAwait(false);
                    if (removed > 0)
                    {
                        Swept(logger, removed);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    SweepFailed(logger, e);
                    removed = -1;
                }

                SweepFinished?.Invoke(removed);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "SlateDb cache: the sweep removed {Count} expired entries")]
    private static partial void Swept(ILogger logger, int count);

    [LoggerMessage(2, LogLevel.Warning, "SlateDb cache: the sweep of expired entries failed; it runs again at the next interval")]
    private static partial void SweepFailed(ILogger logger, Exception exception);
}
