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

    /// <summary>
    /// How long the puts and merges of this write live: they expire this long after the write, by the database's clock,
    /// and reads no longer see them (an expired put hides older versions, as a delete would; an expired merge operand
    /// is as if never written). <see cref="Timeout.InfiniteTimeSpan"/>: never expire, whatever
    /// <see cref="Settings.DefaultTtl"/> says. Null (the default): <see cref="ExpiresAt"/> if set, else
    /// <see cref="Settings.DefaultTtl"/>. Deletes never expire. Must be positive; at most one of this and
    /// <see cref="ExpiresAt"/> may be set.
    /// </summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>
    /// When the puts and merges of this write expire (see <see cref="Ttl"/>); a time already past makes them invisible at
    /// once. Null (the default): <see cref="Ttl"/>, else <see cref="Settings.DefaultTtl"/>.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}
