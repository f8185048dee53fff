namespace SlateDb;

/// <summary>One object in a database's WAL: a WAL SST holding rows, or a writer's fence, which holds none.</summary>
/// <param name="Id">The WAL id (the object is <c>&lt;db&gt;/wal/{Id:D20}.sst</c>).</param>
/// <param name="Size">The object's size in bytes.</param>
/// <param name="IsFence">Whether the object has the size of a fence (what a writer stores when it opens; it holds no rows).</param>
public sealed record WalObject(ulong Id, long Size, bool IsFence);
