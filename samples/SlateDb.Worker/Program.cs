using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SlateDb;
using SlateDb.Caching;
using SlateDb.Extensions.Hosting;
using SlateDb.Extensions.OpenTelemetry;

// A worker that uses SlateDb the way a service does: two databases registered with DI and bound from configuration
// (appsettings.json, SlateDb:<name>), opened when the host starts and closed when it stops, a health check,
// traces and metrics exported to the console, and the distributed cache. Data goes to ./data unless
// SlateDb:<name>:StoreUri says otherwise.
var builder = Host.CreateApplicationBuilder(args);
var data = Path.GetFullPath(args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "data");

builder.Services.AddSlateDb("orders", o => o.StoreUri ??= new Uri(Path.Combine(data, "orders") + "/").AbsoluteUri);
builder.Services.AddSlateDb("cache", o => o.StoreUri ??= new Uri(Path.Combine(data, "cache") + "/").AbsoluteUri);
builder.Services.AddSlateDbDistributedCache("cache", o => o.SweepInterval = TimeSpan.FromMinutes(1));
builder.Services.AddHealthChecks().AddSlateDb("orders").AddSlateDb("cache");
builder.Services.AddOpenTelemetry()
    .WithTracing(t => t.AddSlateDbInstrumentation().AddConsoleExporter())
    .WithMetrics(m => m.AddSlateDbInstrumentation().AddConsoleExporter());
builder.Services.AddHostedService<OrdersWorker>();   // after AddSlateDb: starts once the databases are open

using var host = builder.Build();
await host.RunAsync();
return OrdersWorker.ExitCode;

internal sealed class OrdersWorker(
    [FromKeyedServices("orders")] Db orders,
    IDistributedCache cache,
    HealthCheckService health,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    public static int ExitCode { get; private set; } = 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var run = await orders.GetAsync("meta:runs", cancellationToken: stoppingToken) is { } bytes ? int.Parse(System.Text.Encoding.UTF8.GetString(bytes)) + 1 : 1;
            await orders.PutAsync("meta:runs", run.ToString(), cancellationToken: stoppingToken);
            await orders.PutAsync($"order:{run:D4}", "paid", cancellationToken: stoppingToken);
            var count = 0;
            await foreach (var _ in orders.ScanAsync(KeyRange.Prefix("order:"), cancellationToken: stoppingToken))
            {
                count++;
            }

            Console.WriteLine($"orders: run {run}, {count} orders");

            await cache.SetStringAsync("session:42", $"cart of run {run}", new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20) }, stoppingToken);
            Console.WriteLine($"cache: session:42 = {await cache.GetStringAsync("session:42", stoppingToken)}");

            var checkpoint = await orders.CreateCheckpointAsync(CheckpointScope.Durable, new CheckpointOptions { Lifetime = TimeSpan.FromMinutes(5) }, stoppingToken);
            Console.WriteLine($"checkpoint: {checkpoint.Id} pins manifest {checkpoint.ManifestId}");

            var report = await health.CheckHealthAsync(stoppingToken);
            foreach (var (name, entry) in report.Entries)
            {
                Console.WriteLine($"health: {name} {entry.Status} ({entry.Description}) state={entry.Data["state"]}");
            }

            ExitCode = report.Status == HealthStatus.Healthy && count == run ? 0 : 1;
            Console.WriteLine(ExitCode == 0 ? "worker: verified" : "worker: VERIFICATION FAILED");
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
