namespace SlateDb;

/// <summary>How a checkpoint is created.</summary>
public sealed class CheckpointOptions
{
    /// <summary>How long the checkpoint lives (rounded up to whole seconds); null = it never expires. Must be positive.</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>Pin the same manifest as this existing checkpoint instead of the current state; null = the current state.</summary>
    public Guid? Source { get; init; }

    /// <summary>A label to find the checkpoint by (not unique); null = none.</summary>
    public string? Name { get; init; }
}
