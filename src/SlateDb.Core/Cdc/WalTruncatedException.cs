namespace SlateDb;

/// <summary>
/// The change feed cannot go on: the next WAL object it needs is gone (garbage collection removed it after the writer
/// flushed its rows to L0, or it was lost), so the rows after the cursor are no longer all in the WAL. The feed never
/// skips a missing object.
/// </summary>
/// <remarks>
/// A consumer that gets this has missed changes and must rebuild its copy: read a checkpoint (a <see cref="DbReader"/>
/// pinned to it), then follow the feed from <c>new ChangeCursor(reader.LastWalId, 0)</c> of that reader. Keeping the feed
/// ahead of garbage collection (its <c>MinAge</c>, or a checkpoint that pins the WAL) avoids it.
/// </remarks>
public sealed class WalTruncatedException : SlateDbException
{
    /// <summary>Creates the exception for the missing WAL id <paramref name="missingWalId"/>.</summary>
    /// <param name="missingWalId">The WAL id that is missing.</param>
    /// <param name="cursor">The cursor the feed was at.</param>
    /// <param name="objectPath">The missing object's path.</param>
    /// <param name="detail">Where it is missing from and why it counts as written (what the manifest or the listing shows), such as
    /// "missing from the WAL store 'file:///wal' while the later WAL object '...' exists".</param>
    /// <param name="innerException">The store's not-found error, if any.</param>
    public WalTruncatedException(ulong missingWalId, ChangeCursor cursor, string objectPath, string detail, Exception? innerException = null)
        : base(
            SlateDbErrorKind.Data,
            $"The WAL is truncated at the change cursor {cursor}: WAL object '{objectPath}' (id {missingWalId}) is {detail}. " +
            "The changes after the cursor are no longer all in the WAL; rebuild the copy from a checkpoint and follow the feed from there.",
            innerException)
    {
        MissingWalId = missingWalId;
        Cursor = cursor;
        ObjectPath = objectPath;
    }

    /// <summary>The WAL id that is missing.</summary>
    public ulong MissingWalId { get; }

    /// <summary>The cursor the feed was at when it found the object missing.</summary>
    public ChangeCursor Cursor { get; }

    /// <summary>The missing object's path.</summary>
    public string ObjectPath { get; }
}
