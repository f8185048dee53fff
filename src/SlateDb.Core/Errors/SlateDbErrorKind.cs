namespace SlateDb;

/// <summary>What a caller can do about a <see cref="SlateDbException"/>.</summary>
public enum SlateDbErrorKind
{
    /// <summary>The request was invalid; fix the input.</summary>
    Invalid,

    /// <summary>A dependency (the object store) was unavailable; retrying later may succeed.</summary>
    Unavailable,

    /// <summary>Stored data failed verification or is missing.</summary>
    Data,

    /// <summary>The database is closed.</summary>
    Closed,

    /// <summary>A newer writer owns the database; reopen to write.</summary>
    Fenced,

    /// <summary>A concurrent change conflicted with this one.</summary>
    Conflict,

    /// <summary>An internal invariant was violated.</summary>
    Internal,
}
