namespace SlateDb;

/// <summary>Options for one read or scan.</summary>
public sealed record ReadOptions
{
    /// <summary>The options every read uses when none are given.</summary>
    public static ReadOptions Default { get; } = new();

    /// <summary>Which writes the read sees; <see cref="DurabilityLevel.Memory"/> (the default) sees every applied write.</summary>
    public DurabilityLevel DurabilityFilter { get; init; } = DurabilityLevel.Memory;
}
