namespace SlateDb.ObjectStore;

/// <summary>What a store knows about one object.</summary>
/// <param name="Path">The object's path.</param>
/// <param name="Size">The object's size in bytes.</param>
/// <param name="LastModified">When the object was last written.</param>
/// <param name="ETag">An opaque version tag, usable with <see cref="PutMode.Update"/>; never null.</param>
public sealed record ObjectMeta(string Path, long Size, DateTimeOffset LastModified, string ETag)
{
    /// <summary>The put id stored with the object (<see cref="PutOptions.PutId"/>), when the store returned it.</summary>
    public string? PutId { get; init; }
}
