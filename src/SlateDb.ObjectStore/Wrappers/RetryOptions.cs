namespace SlateDb.ObjectStore;

/// <summary>How <see cref="RetryingObjectStore"/> retries transient failures.</summary>
public sealed record RetryOptions
{
    /// <summary>The most attempts per operation, the first included; at least 1. Default 6.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The backoff cap before the first retry; it doubles per retry up to <see cref="MaxDelay"/>. Default 50 ms.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The largest backoff cap. Each wait is drawn uniformly from zero to the cap (full jitter). Default 5 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "RetryOptions.MaxAttempts must be at least 1.");
        }

        if (InitialDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialDelay), $"RetryOptions delays must not be negative (initial {InitialDelay}, max {MaxDelay}).");
        }
    }
}
