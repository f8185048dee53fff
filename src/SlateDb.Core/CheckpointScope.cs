namespace SlateDb;

/// <summary>What a checkpoint created by <see cref="Db.CreateCheckpointAsync"/> captures.</summary>
public enum CheckpointScope
{
    /// <summary>
    /// Everything written before the call: the WAL and the memtable are flushed to L0 first, and the pinned manifest's
    /// WAL replay range is empty of anything already in L0.
    /// </summary>
    All,

    /// <summary>The current durable state: the SSTs in the manifest plus the WAL objects stored so far; nothing is flushed.</summary>
    Durable,
}
