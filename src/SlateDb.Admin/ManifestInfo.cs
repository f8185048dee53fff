namespace SlateDb.Admin;

/// <summary>One manifest object in the store, as listed.</summary>
/// <param name="Id">The manifest id.</param>
/// <param name="LastModified">When the store last modified the object (when it was written).</param>
/// <param name="Size">The object's size in bytes.</param>
public sealed record ManifestInfo(ulong Id, DateTimeOffset LastModified, long Size);
