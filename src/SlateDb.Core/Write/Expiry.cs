using SlateDb.Format;

namespace SlateDb.Write;

/// <summary>The expiry time a write gives its puts and merges, from its <see cref="WriteOptions"/> and <see cref="Settings.DefaultTtl"/>.</summary>
internal static class Expiry
{
    /// <summary>
    /// The expiry time (milliseconds since the Unix epoch) of the puts and merges of a write made now by
    /// <paramref name="time"/>, or <see cref="Row.NoExpiry"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is zero or negative.</exception>
    /// <exception cref="ArgumentException">Both <see cref="WriteOptions.Ttl"/> and <see cref="WriteOptions.ExpiresAt"/> are set.</exception>
    public static long For(WriteOptions? writeOptions, Settings settings, TimeProvider time)
    {
        if (writeOptions?.Ttl is null && writeOptions?.ExpiresAt is null && settings.DefaultTtl is null)
        {
            return Row.NoExpiry;
        }

        Validate(writeOptions);
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (writeOptions?.Ttl is { } ttl)
        {
            return ttl == Timeout.InfiniteTimeSpan ? Row.NoExpiry : After(nowMs, ttl, $"{nameof(WriteOptions)}.{nameof(WriteOptions.Ttl)}");
        }

        if (writeOptions?.ExpiresAt is { } at)
        {
            return Math.Min(at.ToUnixTimeMilliseconds(), Row.NoExpiry - 1);
        }

        return settings.DefaultTtl is { } defaultTtl ? After(nowMs, defaultTtl, $"{nameof(Settings)}.{nameof(Settings.DefaultTtl)}") : Row.NoExpiry;
    }

    /// <summary>Checks the time to live of <paramref name="writeOptions"/> before a write starts (the same checks as <see cref="For"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is zero or negative.</exception>
    /// <exception cref="ArgumentException">Both <see cref="WriteOptions.Ttl"/> and <see cref="WriteOptions.ExpiresAt"/> are set.</exception>
    public static void Validate(WriteOptions? writeOptions)
    {
        if (writeOptions?.Ttl is not { } ttl)
        {
            return;
        }

        if (writeOptions.ExpiresAt is not null)
        {
            throw new ArgumentException(
                $"{nameof(WriteOptions)}.{nameof(WriteOptions.Ttl)} and {nameof(WriteOptions.ExpiresAt)} are both set; set at most one.", nameof(writeOptions));
        }

        if (ttl != Timeout.InfiniteTimeSpan)
        {
            RequirePositive(ttl, $"{nameof(WriteOptions)}.{nameof(WriteOptions.Ttl)}");
        }
    }

    private static void RequirePositive(TimeSpan ttl, string name)
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                name, ttl, $"{name} is {ttl}; a time to live must be greater than zero (Timeout.InfiniteTimeSpan: never expire).");
        }
    }

    private static long After(long nowMs, TimeSpan ttl, string name)
    {
        RequirePositive(ttl, name);

        // A time to live that runs past the end of representable time means never.
        var ms = (long)Math.Ceiling(Math.Min(ttl.TotalMilliseconds, long.MaxValue / 2.0));
        return ms >= Row.NoExpiry - nowMs ? Row.NoExpiry : nowMs + ms;
    }
}
