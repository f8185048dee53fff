namespace SlateDb.Admin;

/// <summary>A compacted (L0 or sorted-run) SST as a manifest records it.</summary>
public sealed record ManifestSst
{
    /// <summary>The SST id: a ULID in its 26-character canonical spelling (the object is <c>compacted/{Id}.sst</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The smallest key in the SST.</summary>
    public required ReadOnlyMemory<byte> FirstKey { get; init; }

    /// <summary>The largest key in the SST.</summary>
    public required ReadOnlyMemory<byte> LastKey { get; init; }

    /// <summary>The object's size in bytes.</summary>
    public required ulong Size { get; init; }

    /// <summary>How many rows (puts, deletes, merges; every version) the SST holds.</summary>
    public required ulong RowCount { get; init; }
}
