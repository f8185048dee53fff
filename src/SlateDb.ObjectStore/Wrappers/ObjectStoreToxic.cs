namespace SlateDb.ObjectStore;

/// <summary>
/// A fault <see cref="FaultInjectingObjectStore"/> applies to the calls it selects by operation and path prefix,
/// each with probability <see cref="Probability"/>.
/// </summary>
/// <remarks>
/// Whether a toxic strikes a call depends only on the wrapper's seed, the toxic's position, the operation, the path
/// and how many calls of that operation on that path came before (not on the order of calls to other paths), so
/// concurrent callers on different paths do not change each other's faults.
/// </remarks>
/// <param name="Kind">What the toxic does.</param>
/// <param name="Probability">The chance, from 0 to 1, that it strikes a selected call.</param>
public sealed record ObjectStoreToxic(ToxicKind Kind, double Probability)
{
    /// <summary>The operations it selects; every operation when null.</summary>
    public IReadOnlyList<ObjectStoreOperation>? Operations { get; init; }

    /// <summary>The path prefix it selects (the listing prefix for listings); every path when empty.</summary>
    public string PathPrefix { get; init; } = "";

    /// <summary>The longest delay of a <see cref="ToxicKind.Latency"/> toxic (the delay is uniform from zero to this).</summary>
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// How many times a failing toxic may strike calls on one path, so that a caller retrying a few times always gets
    /// through. Default 2.
    /// </summary>
    public int MaxPerPath { get; init; } = 2;

    /// <summary>Checks the values; throws <see cref="ArgumentOutOfRangeException"/> naming the one out of range.</summary>
    public void Validate()
    {
        if (Probability is < 0 or > 1 || double.IsNaN(Probability))
        {
            throw new ArgumentOutOfRangeException(nameof(Probability), Probability, "A toxic's probability must be between 0 and 1.");
        }

        if (MaxLatency < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLatency), MaxLatency, "A toxic's latency must not be negative.");
        }

        if (MaxPerPath < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPerPath), MaxPerPath, "A toxic's MaxPerPath must be at least 1.");
        }

        ArgumentNullException.ThrowIfNull(PathPrefix);
    }

    /// <summary>Whether the toxic selects a call of <paramref name="operation"/> on <paramref name="path"/>.</summary>
    public bool Selects(ObjectStoreOperation operation, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Kind == ToxicKind.TornListing && operation != ObjectStoreOperation.List)
        {
            return false;
        }

        return (Operations is null || Operations.Contains(operation)) && path.StartsWith(PathPrefix, StringComparison.Ordinal);
    }
}
