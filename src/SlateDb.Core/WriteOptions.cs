namespace SlateDb;

/// <summary>Options for one write.</summary>
public sealed record WriteOptions
{
    /// <summary>The options every write uses when none are given.</summary>
    public static WriteOptions Default { get; } = new();

    /// <summary>
    /// When true (the default), the write's task completes only after the WAL object holding the write is stored,
    /// and that object is written as soon as the previous WAL write finished (writes arriving meanwhile share the
    /// next one), not at the next <see cref="Settings.FlushInterval"/>.
    /// When false, it completes as soon as the write is applied and visible to reads; await
    /// <see cref="WriteHandle.Durable"/> to learn when it is stored (at the latest one flush interval later, or
    /// on <see cref="Db.FlushAsync"/>).
    /// </summary>
    public bool AwaitDurable { get; init; } = true;
}
