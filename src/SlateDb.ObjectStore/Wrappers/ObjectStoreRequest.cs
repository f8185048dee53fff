namespace SlateDb.ObjectStore;

/// <summary>One request as <see cref="InstrumentedObjectStore"/> logs it, in the order requests were issued.</summary>
/// <param name="Operation">The kind of request.</param>
/// <param name="Path">The object's path (the prefix for listings, the source for copies).</param>
/// <param name="Detail">What else identifies the request: the put mode, the byte range, the copy's target, the listing's start; or null.</param>
public sealed record ObjectStoreRequest(ObjectStoreOperation Operation, string Path, string? Detail)
{
    /// <summary>One line such as <c>Put db/wal/00000000000000000001.sst Create</c>, for golden request traces.</summary>
    public override string ToString() => Detail is null ? $"{Operation} {Path}" : $"{Operation} {Path} {Detail}";
}
