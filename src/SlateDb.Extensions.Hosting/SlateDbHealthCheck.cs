using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SlateDb.Extensions.Hosting;

/// <summary>
/// The health of one registered database: Healthy while open and its WAL keeps up; Degraded when writes wait for
/// durability and no WAL object was stored for longer than <see cref="SlateDbOptions.WalStallThreshold"/>; the
/// registration's failure status when it is not open, closed, fenced by a newer writer or failed.
/// </summary>
/// <remarks>The data always holds <c>state</c>; an open database adds <c>lastDurableWalWrite</c> (ISO 8601),
/// <c>lastDurableWalWriteAgeSeconds</c> and <c>pendingWrites</c>.</remarks>
internal sealed class SlateDbHealthCheck(SlateDbInstance instance, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(Check(context.Registration.FailureStatus));
    }

    private HealthCheckResult Check(HealthStatus failureStatus)
    {
        var db = instance.OpenDb;
        if (db is null)
        {
            return new HealthCheckResult(
                failureStatus, instance.NotOpenReason(), instance.OpenError, new Dictionary<string, object> { ["state"] = "NotOpen" });
        }

        var status = db.Status;
        var age = time.GetUtcNow() - status.LastDurableWalWrite;
        var data = new Dictionary<string, object>
        {
            ["state"] = status.State.ToString(),
            ["lastDurableWalWrite"] = status.LastDurableWalWrite.ToString("O", CultureInfo.InvariantCulture),
            ["lastDurableWalWriteAgeSeconds"] = Math.Round(age.TotalSeconds, 3),
            ["pendingWrites"] = status.HasPendingWrites,
        };
        var name = instance.Name;
        return status.State switch
        {
            DbLifecycleState.Open when status.HasPendingWrites && age > instance.Options.WalStallThreshold => HealthCheckResult.Degraded(
                $"SlateDb database '{name}': writes wait for durability and no WAL object was stored for {age.TotalSeconds:F1} s (threshold {instance.Options.WalStallThreshold.TotalSeconds:F1} s).",
                null,
                data),
            DbLifecycleState.Open => HealthCheckResult.Healthy($"SlateDb database '{name}' is open.", data),
            DbLifecycleState.Fenced => new HealthCheckResult(
                failureStatus, $"SlateDb database '{name}' was fenced by a newer writer and is closed.", status.Failure, data),
            DbLifecycleState.Failed => new HealthCheckResult(
                failureStatus, $"SlateDb database '{name}' failed and is closed: {status.Failure?.Message}", status.Failure, data),
            _ => new HealthCheckResult(failureStatus, $"SlateDb database '{name}' is closed.", null, data),
        };
    }
}
