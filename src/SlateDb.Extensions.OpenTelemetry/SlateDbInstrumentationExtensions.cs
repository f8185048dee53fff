using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SlateDb.Extensions.OpenTelemetry;

/// <summary>Subscribes OpenTelemetry providers to SlateDb's spans and instruments (docs/telemetry.md lists them).</summary>
public static class SlateDbInstrumentationExtensions
{
    /// <summary>
    /// Adds the spans of the <see cref="System.Diagnostics.ActivitySource"/> named <see cref="SlateDbTelemetry.ActivitySourceName"/>:
    /// <c>slatedb.get</c>, <c>slatedb.get_many</c>, <c>slatedb.scan</c>, <c>slatedb.write</c>, <c>slatedb.flush</c>,
    /// <c>slatedb.checkpoint</c>, <c>slatedb.close</c>, <c>slatedb.clone</c>, <c>slatedb.copy</c>, <c>slatedb.compaction</c>
    /// and <c>slatedb.gc</c>, with the database path, the
    /// store and object counts as attributes (never keys or values).
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    public static TracerProviderBuilder AddSlateDbInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(SlateDbTelemetry.ActivitySourceName);
    }

    /// <summary>
    /// Adds the instruments of the <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="SlateDbTelemetry.MeterName"/>
    /// (writes, rows and bytes, WAL and L0 flushes, gets, scans, backpressure waits, compactions, L0 stalls, checkpoints,
    /// garbage collection, and
    /// gauges of unflushed bytes, L0 SSTs, sorted runs and the age of the last WAL write), each tagged <c>slatedb.db</c>.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    public static MeterProviderBuilder AddSlateDbInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(SlateDbTelemetry.MeterName);
    }
}
