using SlateDb.ObjectStore;

namespace SlateDb;

/// <summary>
/// Turns object store failures into the database's errors, once, where they leave the database (its public calls and
/// the background tasks whose failure closes it), so callers only ever see <see cref="SlateDbException"/>s.
/// </summary>
/// <remarks>
/// Kinds: a transient store failure is <see cref="SlateDbErrorKind.Unavailable"/> (retrying later may succeed); a missing
/// object is <see cref="SlateDbErrorKind.Data"/>; any other permanent store failure (access denied, a missing bucket) is
/// <see cref="SlateDbErrorKind.Unavailable"/> too: the store, not the data, refused. The store exception is the inner
/// exception, and the message names the database, what it was doing, and the object.
/// </remarks>
internal static class StoreErrors
{
    /// <summary>The kind a store failure gets.</summary>
    public static SlateDbErrorKind KindOf(ObjectStoreException e)
        => e is ObjectNotFoundException ? SlateDbErrorKind.Data : SlateDbErrorKind.Unavailable;

    /// <summary>The error a call on <paramref name="dbPath"/> that was <paramref name="doing"/> something throws for <paramref name="e"/>.</summary>
    public static SlateDbException ToDbError(string dbPath, string doing, ObjectStoreException e)
        => new(KindOf(e), $"'{dbPath}': {doing} failed: {Describe(e)}", e);

    /// <summary>
    /// The cause a failed background <paramref name="task"/> (e.g. "the WAL writer") closes the database with: the
    /// fence stays a fence and a close stays a close; anything else is named after the task, keeping its kind.
    /// </summary>
    public static Exception BackgroundFailure(string task, Exception e) => e switch
    {
        FencedException or DbClosedException => e,
        SlateDbException db => new SlateDbException(db.Kind, $"{task} failed: {db.Message}", db),
        ObjectStoreException store => new SlateDbException(KindOf(store), $"{task} failed: {Describe(store)}", store),
        _ => new SlateDbException(SlateDbErrorKind.Internal, $"{task} failed: {e.Message}", e),
    };

    private static string Describe(ObjectStoreException e)
        => $"the object store {(e.IsTransient ? "was unavailable (transient; retrying later may succeed)" : "refused")} for '{e.Path}': {e.Message}";
}
