using SlateDb.Format;

namespace SlateDb.Wal;

/// <summary>Where <see cref="WalReplayer"/> puts the rows it replays: a writer's write loop, or a read-only view's memtables.</summary>
internal interface IReplayTarget
{
    /// <summary>Stages a replayed row (already durable in the WAL); <see cref="EndReplayedBatch"/> commits it.</summary>
    void ApplyReplayed(in Row row);

    /// <summary>Ends a replayed batch: commits its rows; <paramref name="lastCompleteWalId"/> is the last WAL id replayed completely.</summary>
    void EndReplayedBatch(ulong lastCompleteWalId);
}
