namespace SlateDb.ObjectStore;

/// <summary>An object's metadata and the bytes read from it.</summary>
/// <param name="Meta">The object's metadata (its whole size, not the size of the range read).</param>
/// <param name="Bytes">The bytes read; owned by the caller.</param>
public sealed record ObjectData(ObjectMeta Meta, ReadOnlyMemory<byte> Bytes);
