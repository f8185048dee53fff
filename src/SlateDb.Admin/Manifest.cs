using SlateDb.Checkpoints;
using SlateDb.Manifest.Proto;

namespace SlateDb.Admin;

/// <summary>One version of a database's manifest: the root of its durable state.</summary>
public sealed record Manifest
{
    /// <summary>The manifest id (its object is <c>manifest/{Id:D20}.manifest</c>); the highest id is the current state.</summary>
    public required ulong Id { get; init; }

    /// <summary>The fencing epoch of the writer that owns the database (0 before the first writer opened it).</summary>
    public required ulong WriterEpoch { get; init; }

    /// <summary>The fencing epoch of the compactor.</summary>
    public required ulong CompactorEpoch { get; init; }

    /// <summary>WAL replay starts at this id + 1: every WAL object at or below it holds nothing L0 lacks.</summary>
    public required ulong ReplayAfterWalId { get; init; }

    /// <summary>The next WAL id to assign; the WAL ids this manifest needs are those in (<see cref="ReplayAfterWalId"/>, this).</summary>
    public required ulong NextWalSstId { get; init; }

    /// <summary>The highest sequence number contained in L0 and below.</summary>
    public required ulong LastL0Seq { get; init; }

    /// <summary>The L0 SSTs, newest first (their key ranges may overlap).</summary>
    public required IReadOnlyList<ManifestSst> L0 { get; init; }

    /// <summary>The sorted runs, newest (highest id) first.</summary>
    public required IReadOnlyList<ManifestSortedRun> SortedRuns { get; init; }

    /// <summary>The open checkpoints; each pins the manifest it names.</summary>
    public required IReadOnlyList<CheckpointInfo> Checkpoints { get; init; }

    /// <summary>The databases whose SSTs this one reads in place (a clone's parents).</summary>
    public required IReadOnlyList<ManifestExternalDb> ExternalDbs { get; init; }

    /// <summary>False for a clone whose creation has not finished; true for every usable database.</summary>
    public required bool Initialized { get; init; }

    /// <summary>The URI of the separate WAL object store, or null when the WAL lives in the main store.</summary>
    public string? WalObjectStoreUri { get; init; }

    /// <summary>The public view of stored manifest <paramref name="id"/>.</summary>
    internal static Manifest From(ulong id, ManifestData data) => new()
    {
        Id = id,
        WriterEpoch = data.WriterEpoch,
        CompactorEpoch = data.CompactorEpoch,
        ReplayAfterWalId = data.ReplayAfterWalId,
        NextWalSstId = data.NextWalSstId,
        LastL0Seq = data.LastL0Seq,
        L0 = [.. data.L0.Select(ToSst)],
        SortedRuns = [.. data.SortedRuns.Select(run => new ManifestSortedRun { Id = run.Id, Ssts = [.. run.Ssts.Select(ToSst)] })],
        Checkpoints = ManifestCheckpoints.List(data),
        ExternalDbs = [.. data.ExternalDbs.Select(ToExternalDb)],
        Initialized = data.Initialized,
        WalObjectStoreUri = data.HasWalObjectStoreUri ? data.WalObjectStoreUri : null,
    };

    private static ManifestSst ToSst(SstHandle handle) => new()
    {
        Id = handle.Id.ToUlid().ToString(),
        FirstKey = handle.FirstKey.ToByteArray(),
        LastKey = handle.LastKey.ToByteArray(),
        Size = handle.Size,
        RowCount = handle.RowCount,
    };

    private static ManifestExternalDb ToExternalDb(ExternalDb db) => new()
    {
        Path = db.Path,
        SourceCheckpointId = db.SourceCheckpointId?.ToGuid() ?? Guid.Empty,
        FinalCheckpointId = db.FinalCheckpointId?.ToGuid(),
        SstIds = [.. db.SstIds.Select(id => id.ToUlid().ToString())],
    };
}
