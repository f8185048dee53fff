namespace SlateDb.ObjectStore;

/// <summary>How a put treats an object that may already exist at its path.</summary>
public sealed class PutMode : IEquatable<PutMode>
{
    private PutMode(PutModeKind kind, string? etag)
    {
        Kind = kind;
        ETag = etag;
    }

    /// <summary>Write unconditionally, replacing any existing object.</summary>
    public static PutMode Overwrite { get; } = new(PutModeKind.Overwrite, null);

    /// <summary>Write only if no object exists at the path (create-if-absent).</summary>
    public static PutMode Create { get; } = new(PutModeKind.Create, null);

    /// <summary>What this mode does.</summary>
    public PutModeKind Kind { get; }

    /// <summary>The etag an <see cref="PutModeKind.Update"/> requires; <c>null</c> for the other kinds.</summary>
    public string? ETag { get; }

    /// <summary>Write only if the stored object's etag equals <paramref name="etag"/> (compare-and-swap).</summary>
    /// <param name="etag">An etag returned by this store for the object.</param>
    /// <exception cref="ArgumentException"><paramref name="etag"/> is null or empty.</exception>
    public static PutMode Update(string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        return new PutMode(PutModeKind.Update, etag);
    }

    /// <inheritdoc />
    public bool Equals(PutMode? other) => other is not null && other.Kind == Kind && string.Equals(other.ETag, ETag, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PutMode);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, ETag);

    /// <inheritdoc />
    public override string ToString() => Kind == PutModeKind.Update ? $"Update({ETag})" : Kind.ToString();
}

/// <summary>The kinds of <see cref="PutMode"/>.</summary>
public enum PutModeKind
{
    /// <summary>Unconditional write.</summary>
    Overwrite,

    /// <summary>Create-if-absent.</summary>
    Create,

    /// <summary>Write if the etag matches.</summary>
    Update,
}
