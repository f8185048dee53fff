namespace SlateDb.Admin;

/// <summary>What <c>DbAdmin.CopyAsync</c> did.</summary>
public sealed record CopyResult
{
    /// <summary>The source checkpoint copied: the given one, or the short-lived one created (and removed) for the copy; null when the destination already held the copy of the current state.</summary>
    public required Guid? SourceCheckpointId { get; init; }

    /// <summary>The source manifest that was copied.</summary>
    public required ulong SourceManifestId { get; init; }

    /// <summary>SSTs this call stored.</summary>
    public required int SstsCopied { get; init; }

    /// <summary>SSTs an interrupted earlier call had stored (same size) and this one did not copy again.</summary>
    public required int SstsAlreadyPresent { get; init; }

    /// <summary>WAL objects in the destination's WAL store.</summary>
    public required int WalObjectsCopied { get; init; }

    /// <summary>Leading WAL ids of the range that the source's WAL store no longer holds (already in L0) and were skipped.</summary>
    public required int WalObjectsSkipped { get; init; }

    /// <summary>Bytes this call stored.</summary>
    public required long BytesWritten { get; init; }

    /// <summary>The destination's WAL replay range starts after this id.</summary>
    public required ulong ReplayAfterWalId { get; init; }

    /// <summary>The destination's next WAL id.</summary>
    public required ulong NextWalSstId { get; init; }

    /// <summary>The destination already held this copy; this call wrote nothing.</summary>
    public required bool AlreadyExisted { get; init; }
}
