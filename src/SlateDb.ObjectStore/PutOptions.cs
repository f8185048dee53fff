namespace SlateDb.ObjectStore;

/// <summary>Extra information stored with an object by a put.</summary>
public sealed record PutOptions
{
    /// <summary>
    /// An id unique to this logical write, stored as object metadata. A retried <see cref="PutMode.Create"/>
    /// that finds an object compares the stored id with its own to tell its own earlier write from a conflict.
    /// </summary>
    public string? PutId { get; init; }
}
