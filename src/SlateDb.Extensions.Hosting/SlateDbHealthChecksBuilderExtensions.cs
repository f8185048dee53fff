using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SlateDb.Extensions.Hosting;

/// <summary>Adds SlateDb health checks.</summary>
public static class SlateDbHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the database registered as <paramref name="databaseName"/> with
    /// <see cref="SlateDbServiceCollectionExtensions.AddSlateDb(IServiceCollection, string, Action{SlateDbOptions}?)"/>:
    /// Healthy while it is open and its WAL keeps up; Degraded when writes wait for durability and no WAL object was
    /// stored for longer than <see cref="SlateDbOptions.WalStallThreshold"/>; <paramref name="failureStatus"/> when it is
    /// not open, closed, fenced by a newer writer or failed. The result's data holds the state, the time and age of the
    /// last durable WAL write and whether writes are pending.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="databaseName">The database's registration name.</param>
    /// <param name="checkName">The health check's name; default <c>slatedb-&lt;databaseName&gt;</c>.</param>
    /// <param name="failureStatus">What a closed, fenced or failed database reports; default Unhealthy.</param>
    /// <param name="tags">Tags for filtering checks.</param>
    public static IHealthChecksBuilder AddSlateDb(
        this IHealthChecksBuilder builder,
        string databaseName,
        string? checkName = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        return builder.Add(new HealthCheckRegistration(
            checkName ?? $"slatedb-{databaseName}",
            sp => new SlateDbHealthCheck(sp.GetRequiredKeyedService<SlateDbInstance>(databaseName), sp.GetService<TimeProvider>() ?? TimeProvider.System),
            failureStatus,
            tags));
    }
}
