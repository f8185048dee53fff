namespace SlateDb.Caching;

/// <summary>How a <see cref="SlateDbCache"/> stores entries and sweeps expired ones.</summary>
public sealed class SlateDbCacheOptions
{
    /// <summary>
    /// The key prefix under which the cache keeps its entries in the database (so a database can hold other data too).
    /// Default <c>cache/</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "cache/";

    /// <summary>
    /// The sliding expiration of entries set with no expiration at all; null (the default) keeps such entries until
    /// they are removed.
    /// </summary>
    public TimeSpan? DefaultSlidingExpiration { get; set; }

    /// <summary>How often the background sweep deletes expired entries. Default 5 minutes.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether <c>Set</c> and <c>Remove</c> return only once the change is durable in the WAL (the default). Sliding
    /// refreshes never wait.
    /// </summary>
    public bool AwaitDurable { get; set; } = true;

    /// <summary>Checks every value; throws on the first one out of range.</summary>
    /// <exception cref="ArgumentException">The prefix is empty, or the sweep interval is not positive; the message names the option.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(KeyPrefix))
        {
            throw new ArgumentException($"SlateDbCacheOptions.{nameof(KeyPrefix)} is empty; the cache needs a prefix of its own, such as 'cache/'.", nameof(KeyPrefix));
        }

        if (SweepInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SlateDbCacheOptions.{nameof(SweepInterval)} is {SweepInterval}; it must be positive.", nameof(SweepInterval));
        }

        if (DefaultSlidingExpiration is { } sliding && sliding <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SlateDbCacheOptions.{nameof(DefaultSlidingExpiration)} is {sliding}; it must be positive or null.", nameof(DefaultSlidingExpiration));
        }
    }
}
