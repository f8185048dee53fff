namespace SlateDb.Admin;

/// <summary>What <see cref="DbAdmin.VerifyAsync"/> found.</summary>
public sealed record VerifyReport
{
    /// <summary>The manifest that was verified.</summary>
    public required ulong ManifestId { get; init; }

    /// <summary>How many objects were checked: each SST the manifest references and each WAL id of its replay range, once.</summary>
    public required long ObjectsChecked { get; init; }

    /// <summary>How many bytes were read.</summary>
    public required long BytesRead { get; init; }

    /// <summary>Every problem found, in manifest order (L0 newest first, sorted runs, then WAL ids ascending).</summary>
    public required IReadOnlyList<VerifyProblem> Problems { get; init; }

    /// <summary>True when no problem was found.</summary>
    public bool IsHealthy => Problems.Count == 0;
}
