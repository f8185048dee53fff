namespace SlateDb;

/// <summary>A checkpoint that was created.</summary>
public sealed record CheckpointResult
{
    /// <summary>The checkpoint's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The manifest id the checkpoint pins.</summary>
    public required ulong ManifestId { get; init; }
}
