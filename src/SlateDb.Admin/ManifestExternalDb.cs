namespace SlateDb.Admin;

/// <summary>A database whose SSTs this one reads in place (a clone's parent), as the manifest records it.</summary>
public sealed record ManifestExternalDb
{
    /// <summary>The parent's database path in the same main object store.</summary>
    public required string Path { get; init; }

    /// <summary>The parent checkpoint the clone was created from.</summary>
    public required Guid SourceCheckpointId { get; init; }

    /// <summary>The non-expiring checkpoint this database owns in the parent, pinning the SSTs below; null until it was written.</summary>
    public Guid? FinalCheckpointId { get; init; }

    /// <summary>The ids (ULID strings) of the parent's SSTs this database still references.</summary>
    public required IReadOnlyList<string> SstIds { get; init; }
}
