using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SlateDb.Extensions.OpenTelemetry;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.Extensions.Tests;

public sealed class OpenTelemetryTests
{
    [Fact]
    public async Task AddSlateDbInstrumentation_exports_the_spans_and_the_instruments()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var metricReader = new BaseExportingMetricReader(new CollectingExporter<Metric>(metrics));
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddSlateDbInstrumentation().AddProcessor(new SimpleActivityExportProcessor(new CollectingExporter<Activity>(spans))).Build())
        using (var meters = Sdk.CreateMeterProviderBuilder().AddSlateDbInstrumentation().AddReader(metricReader).Build())
        {
            await using (var db = await Db.Builder("otel-db", new InMemoryObjectStore()).WithTimeProvider(HostKit.Clock()).BuildAsync())
            {
                await db.PutAsync("k", "v", new WriteOptions { AwaitDurable = false });
                await db.FlushAsync();
                Assert.NotNull(await db.GetAsync("k"));
                meters!.ForceFlush();
            }

            tracing!.ForceFlush();
        }

        var mine = spans.Where(a => Equals(a.GetTagItem("slatedb.db"), "otel-db")).Select(a => a.OperationName).ToList();
        Assert.Equal(["slatedb.write", "slatedb.flush", "slatedb.get", "slatedb.close"], mine);
        var names = metrics.Select(m => m.Name).ToHashSet();
        Assert.Contains("slatedb.writes", names);
        Assert.Contains("slatedb.wal.flushes", names);
        Assert.Contains("slatedb.unflushed_bytes", names);
        Assert.Equal("{batch}", metrics.First(m => m.Name == "slatedb.writes").Unit);
    }

    private sealed class CollectingExporter<T>(List<T> collected) : BaseExporter<T>
        where T : class
    {
        public override ExportResult Export(in Batch<T> batch)
        {
            lock (collected)
            {
                foreach (var item in batch)
                {
                    collected.Add(item);
                }
            }

            return ExportResult.Success;
        }
    }
}
