namespace SlateDb;

/// <summary>
/// The names under which SlateDb reports traces and metrics (<c>System.Diagnostics</c>): subscribe an OpenTelemetry
/// tracer provider to <see cref="ActivitySourceName"/> and a meter provider to <see cref="MeterName"/> (the
/// SlateDb.Extensions.OpenTelemetry package does both). Span, instrument and attribute names are listed in
/// docs/telemetry.md. No key or value is ever recorded.
/// </summary>
public static class SlateDbTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of the spans: <c>SlateDb</c>.</summary>
    public const string ActivitySourceName = "SlateDb";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the instruments: <c>SlateDb</c>.</summary>
    public const string MeterName = "SlateDb";
}
