using System.Runtime.CompilerServices;
using SlateDb.Infrastructure;
using Xunit;

namespace SlateDb.Core.Tests.Infrastructure;

public sealed class DbMetricsTests
{
    [Fact]
    public void A_database_dropped_without_closing_is_not_kept_alive_by_the_gauge_registry()
    {
        var held = ObserveAndDrop();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(held.IsAlive, "The gauge registry keeps a dropped database's readings (and all they reference) alive.");
    }

    [Fact]
    public void A_closed_database_stops_reporting_and_an_open_one_reports()
    {
        var open = new DbMetrics("db-open");
        var closed = new DbMetrics("db-closed");
        var time = TimeProvider.System;
        open.Observe(() => 7, () => 1, () => 2, () => time.GetUtcNow(), time);
        closed.Observe(() => 9, () => 1, () => 2, () => time.GetUtcNow(), time);
        closed.StopObserving();

        var seen = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == DbMetrics.MeterName && instrument.Name == "slatedb.unflushed_bytes")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "slatedb.db")
                {
                    seen[(string)tag.Value!] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        open.StopObserving();

        Assert.Equal(7, seen.GetValueOrDefault("db-open"));
        Assert.False(seen.ContainsKey("db-closed"));
    }

    // Registers readings whose closure holds an object, then drops every reference to the metrics but the registry's.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ObserveAndDrop()
    {
        var engineState = new byte[1024];
        var metrics = new DbMetrics("dropped-db");
        metrics.Observe(() => engineState.Length, () => 0, () => 0, () => DateTimeOffset.UnixEpoch, TimeProvider.System);
        return new WeakReference(engineState);
    }
}
