namespace SlateDb.Bench;

/// <summary>
/// Latency samples in <see cref="TimeProvider"/> timestamp ticks, recorded from any thread into a
/// preallocated array (no allocation per sample); percentiles are read once at the end.
/// </summary>
internal sealed class Latencies(int capacity)
{
    private readonly long[] _ticks = new long[capacity];
    private int _count;
    private bool _sorted;

    public int Count => Math.Min(_count, _ticks.Length);

    public void Record(long startTimestamp, long endTimestamp)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _ticks.Length)
        {
            _ticks[i] = endTimestamp - startTimestamp;
        }
    }

    /// <summary>The p-th percentile (0-100), or zero without samples. Sorts the samples on first use.</summary>
    public TimeSpan Percentile(double p)
    {
        var n = Count;
        if (n == 0)
        {
            return TimeSpan.Zero;
        }

        if (!_sorted)
        {
            Array.Sort(_ticks, 0, n);
            _sorted = true;
        }

        var index = (int)Math.Clamp(Math.Ceiling(p / 100 * n) - 1, 0, n - 1);
        return TimeSpan.FromSeconds((double)_ticks[index] / TimeProvider.System.TimestampFrequency);
    }
}
