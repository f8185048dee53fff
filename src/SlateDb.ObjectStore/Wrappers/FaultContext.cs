namespace SlateDb.ObjectStore;

/// <summary>One call as <see cref="FaultInjectingObjectStore"/> rules see it.</summary>
/// <param name="Operation">The kind of request.</param>
/// <param name="Path">The object's path (the prefix for listings, the source for copies).</param>
/// <param name="Mode">The put mode, for puts; otherwise <c>null</c>.</param>
/// <param name="CallNumber">The 1-based number of this call among every call made through the wrapper.</param>
public sealed record FaultContext(ObjectStoreOperation Operation, string Path, PutMode? Mode, long CallNumber);
