namespace SlateDb;

/// <summary>A snapshot of an open database's health (<see cref="Db.Status"/>), for health checks and dashboards.</summary>
public sealed record DbStatus
{
    /// <summary>Open, closed, fenced or failed.</summary>
    public required DbLifecycleState State { get; init; }

    /// <summary>The failure that closed the database (a <see cref="FencedException"/> when fenced); null while open or after a clean close.</summary>
    public Exception? Failure { get; init; }

    /// <summary>
    /// When this writer last stored a WAL object (on the database's <see cref="TimeProvider"/>); the open's own WAL
    /// fence counts, so it is the open time until the first write is made durable.
    /// </summary>
    public required DateTimeOffset LastDurableWalWrite { get; init; }

    /// <summary>Whether writes have been applied that are not durable yet (waiting for the next WAL object).</summary>
    public required bool HasPendingWrites { get; init; }
}
