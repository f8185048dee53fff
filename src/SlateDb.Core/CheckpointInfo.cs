namespace SlateDb;

/// <summary>A checkpoint recorded in a manifest.</summary>
public sealed record CheckpointInfo
{
    /// <summary>The checkpoint's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The manifest id the checkpoint pins (garbage collection keeps everything it references).</summary>
    public required ulong ManifestId { get; init; }

    /// <summary>When the checkpoint was created (whole seconds).</summary>
    public required DateTimeOffset CreateTime { get; init; }

    /// <summary>When it expires (whole seconds); null = never.</summary>
    public DateTimeOffset? ExpireTime { get; init; }

    /// <summary>Its label, if any.</summary>
    public string? Name { get; init; }
}
