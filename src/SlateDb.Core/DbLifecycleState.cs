namespace SlateDb;

/// <summary>Where an open <see cref="Db"/> is in its life (<see cref="DbStatus.State"/>).</summary>
public enum DbLifecycleState
{
    /// <summary>Accepting reads and writes.</summary>
    Open,

    /// <summary>Closing or closed by its owner.</summary>
    Closed,

    /// <summary>A newer writer opened the database; this one is closed and must be reopened to write.</summary>
    Fenced,

    /// <summary>A background task (the WAL writer, the memtable flusher, the manifest poller) failed permanently; the database is closed.</summary>
    Failed,
}
