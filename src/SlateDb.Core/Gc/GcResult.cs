namespace SlateDb;

/// <summary>What one garbage collection run deleted (or, for a dry run, would have deleted).</summary>
public sealed record GcResult
{
    /// <summary>Manifest objects deleted.</summary>
    public int DeletedManifests { get; init; }

    /// <summary>WAL SSTs deleted (fences are never deleted).</summary>
    public int DeletedWalSsts { get; init; }

    /// <summary>Compacted (L0 and sorted-run) SSTs deleted.</summary>
    public int DeletedSsts { get; init; }

    /// <summary>Expired checkpoints removed from the manifest.</summary>
    public int DeletedCheckpoints { get; init; }

    /// <summary>Compactor state objects deleted (every version but the latest, once older than the minimum age).</summary>
    public int DeletedCompactorStates { get; init; }
}
