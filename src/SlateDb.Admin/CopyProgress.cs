namespace SlateDb.Admin;

/// <summary>How far a <c>DbAdmin.CopyAsync</c> is, reported after each object (SST or WAL object).</summary>
/// <remarks>Done counts include objects an interrupted earlier run had copied. Reports come from several threads and
/// may arrive out of order; the largest counts are the latest.</remarks>
public sealed record CopyProgress
{
    /// <summary>Objects to copy in all.</summary>
    public required long TotalObjects { get; init; }

    /// <summary>Objects in the destination so far.</summary>
    public required long DoneObjects { get; init; }

    /// <summary>Bytes to copy in all.</summary>
    public required long TotalBytes { get; init; }

    /// <summary>Bytes in the destination so far.</summary>
    public required long DoneBytes { get; init; }
}
