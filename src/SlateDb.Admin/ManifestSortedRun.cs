namespace SlateDb.Admin;

/// <summary>A sorted run as a manifest records it: SSTs in key order with disjoint key ranges.</summary>
public sealed record ManifestSortedRun
{
    /// <summary>The run id (larger is newer).</summary>
    public required uint Id { get; init; }

    /// <summary>The run's SSTs in key order.</summary>
    public required IReadOnlyList<ManifestSst> Ssts { get; init; }
}
