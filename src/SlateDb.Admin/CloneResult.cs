namespace SlateDb.Admin;

/// <summary>What <c>DbAdmin.CreateCloneAsync</c> did.</summary>
public sealed record CloneResult
{
    /// <summary>The parent checkpoint the clone was made from (the given one, or one created for the clone).</summary>
    public required Guid ParentCheckpointId { get; init; }

    /// <summary>The permanent checkpoint the clone holds in its parent (it keeps the parent's SSTs the clone reads).</summary>
    public required Guid FinalCheckpointId { get; init; }

    /// <summary>The clone's latest manifest id.</summary>
    public required ulong ManifestId { get; init; }

    /// <summary>The clone's WAL replay range starts after this id.</summary>
    public required ulong ReplayAfterWalId { get; init; }

    /// <summary>The clone's next WAL id.</summary>
    public required ulong NextWalSstId { get; init; }

    /// <summary>WAL objects in the clone's WAL store (copied by this call or by an interrupted earlier one).</summary>
    public required int WalObjectsCopied { get; init; }

    /// <summary>Leading WAL ids of the range that the parent's WAL store no longer holds (already in L0) and were skipped.</summary>
    public required int WalObjectsSkipped { get; init; }

    /// <summary>Bytes this call stored.</summary>
    public required long BytesWritten { get; init; }

    /// <summary>The clone was already finished; this call wrote nothing.</summary>
    public required bool AlreadyExisted { get; init; }
}
