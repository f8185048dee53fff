using SlateDb.ObjectStore;

namespace SlateDb.Manifest;

/// <summary>One version of a sequenced object: the id it is stored under and its decoded value.</summary>
/// <param name="Id">The object id (1, 2, ...).</param>
/// <param name="Value">The decoded value; treat it as immutable (mutate a clone).</param>
internal sealed record Versioned<T>(ulong Id, T Value)
    where T : class;

/// <summary>A listed version of a sequenced object.</summary>
/// <param name="Id">The id parsed from the object name.</param>
/// <param name="Meta">What the store reported (size, last-modified time for GC age checks).</param>
internal readonly record struct SequencedObjectInfo(ulong Id, ObjectMeta Meta);
