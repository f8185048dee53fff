namespace SlateDb;

/// <summary>What opening a database does when a WAL object in the replay range fails verification.</summary>
public enum WalRecoveryMode
{
    /// <summary>
    /// Opening fails with a <see cref="CorruptionException"/> naming the WAL object, or the first WAL id the manifest
    /// records as written that the WAL store lacks; nothing is dropped silently.
    /// </summary>
    Strict = 0,

    /// <summary>
    /// A bad WAL object is dropped if and only if no later WAL object holding data exists (a torn tail); the open logs
    /// what it dropped and records it in the <c>slatedb.wal.dropped_objects</c> metric. A bad object followed by data
    /// still fails the open. WAL ids the manifest records as written that are missing at the end of the WAL (nothing
    /// after them) are accepted and logged.
    /// </summary>
    TolerateCorruptTail = 1,
}
