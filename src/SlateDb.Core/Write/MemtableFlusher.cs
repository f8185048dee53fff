using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Memtables;
using SlateDb.ObjectStore;
using SlateDb.Read;

namespace SlateDb.Write;

// The memtable flusher turns frozen memtables into L0 SSTs, oldest first, one at a time.
//
// Invariants
//  1. A memtable is published (manifest update) only after the WAL is durable through its freeze stamp, so the
//     manifest never says "replay starts after WAL id w" while a row of that memtable exists only in memory.
//  2. The SST object is stored before the manifest that names it; memtables are published in freeze order, so
//     last_l0_seq and replay_after_wal_id only grow.
//  3. After the first failure nothing more is uploaded or published; queued jobs fault with the cause.
//  4. L0 backpressure: before each upload the flusher waits until L0 has room (the engine decides what room is);
//     frozen memtables then pile up and writers wait through MaxUnflushedBytes.
//
// Outline
//   Enqueue(frozen, wal durable task) → wait for the WAL → wait for L0 room → write the versions readers can still see
//   (tombstones kept: every version above the retention seq of the open snapshots, plus the newest at or below it)
//   into an SST → PUT compacted/<ULID>.sst → publish (manifest update, then the read state swaps the memtable for
//   the SST) → complete the job.

/// <summary>Flushes frozen memtables to L0 in freeze order.</summary>
internal sealed class MemtableFlusher : BackgroundWorker<MemtableFlusher.FlushJob>
{
    private const int MaxIdAttempts = 16;

    private readonly EngineServices _services;
    private readonly IObjectStore _store;
    private readonly ByteBuffer _output = new(64 * 1024);
    private readonly DbPaths _paths;
    private readonly Func<ImmutableMemtable, L0Table, Task> _publish;
    private readonly Func<Task> _waitForL0Room;
    private Task _lastQueued = Task.CompletedTask;

    /// <param name="services">Settings, clock, randomness, log and metrics.</param>
    /// <param name="store">The main object store (with retries).</param>
    /// <param name="paths">Object names of the database.</param>
    /// <param name="publish">Publishes an uploaded SST: the manifest update and the read-state swap.</param>
    /// <param name="onFailure">Called once with the first failure.</param>
    /// <param name="waitForL0Room">Completes when L0 has room for one more SST (L0 backpressure); null: never waits.</param>
    public MemtableFlusher(
        EngineServices services,
        IObjectStore store,
        DbPaths paths,
        Func<ImmutableMemtable, L0Table, Task> publish,
        Action<Exception> onFailure,
        Func<Task>? waitForL0Room = null)
        : base("the memtable flusher", services.DbPath, onFailure)
    {
        _waitForL0Room = waitForL0Room ?? (static () => Task.CompletedTask);
        _services = services;
        _store = store;
        _paths = paths;
        _publish = publish;
    }

    /// <summary>The open snapshots and transactions, whose versions a flush keeps (null: only the newest version of each key).</summary>
    public Transactions.SnapshotRegistry? Snapshots { get; init; }

    /// <summary>Completes when the last memtable queued so far is published (completed when none is pending).</summary>
    public Task LastQueued => Volatile.Read(ref _lastQueued);

    /// <summary>Queues <paramref name="memtable"/>; <paramref name="walDurable"/> completes when its rows are in the WAL.</summary>
    /// <returns>A task that completes when the memtable is published in L0.</returns>
    public Task EnqueueAsync(ImmutableMemtable memtable, Task walDurable)
    {
        var job = new FlushJob(memtable, walDurable, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref _lastQueued, job.Done.Task);
        Enqueue(job);
        return job.Done.Task;
    }

    /// <summary>
    /// Writes every version of <paramref name="memtable"/> with a seq above <paramref name="retainAbove"/> plus the newest
    /// version at or below it of every key (tombstones kept) and every range tombstone as an SST, into <paramref name="output"/> when given (the
    /// result's bytes then live there until it is reused). With the default, only the newest version of each key.
    /// A memtable holding merge operands goes through <see cref="Compaction.RetentionIterator"/> instead: operands at or
    /// below <paramref name="retainAbove"/> are folded with <paramref name="mergeOperator"/> and kept down to their base.
    /// </summary>
    public static async Task<SstBuildResult> BuildSstAsync(
        ImmutableMemtable memtable,
        SstWriterOptions options,
        ByteBuffer? output = null,
        ulong retainAbove = ulong.MaxValue,
        IMergeOperator? mergeOperator = null,
        long nowMs = long.MinValue,
        Action<ReadOnlyMemory<byte>, Exception>? onMergeFailure = null)
    {
        using var writer = new SstWriter(options, output);
        var tombstones = memtable.RangeTombstones;
        if (memtable.Table.HasMerges)
        {
            // Versions a range tombstone deletes for every reader go before folding, so no operand folds onto them.
            IRowIterator versions = memtable.Table.CreateIterator(KeyRange.All);
            if (!tombstones.IsEmpty)
            {
                versions = new RangeTombstoneFilter(versions, tombstones, retainAbove);
            }

            var retained = new Compaction.RetentionIterator(versions, retainAbove, bottom: false, nowMs, mergeOperator, onMergeFailure);
            await using (retained.ConfigureAwait(false))
            {
                while (await retained.MoveNextAsync().ConfigureAwait(false))
                {
                    writer.Add(retained.Current);
                }
            }

            if (!tombstones.IsEmpty)
            {
                writer.AddRangeTombstones(tombstones);
            }

            return writer.Finish();
        }

        var newestOnly = retainAbove >= memtable.MaxSeq;
        var rows = newestOnly ? memtable.Table.CreateNewestIterator() : memtable.Table.CreateIterator(KeyRange.All);
        await using (rows.ConfigureAwait(false))
        {
            // Memtable rows stay valid for the table's lifetime, so the previous key can be compared in place.
            var lastKey = ReadOnlyMemory<byte>.Empty;
            var keptAtOrBelow = false;
            while (await rows.MoveNextAsync().ConfigureAwait(false))
            {
                var row = rows.Current;
                if (!newestOnly)
                {
                    if (!row.Key.Span.SequenceEqual(lastKey.Span))
                    {
                        lastKey = row.Key;
                        keptAtOrBelow = false;
                    }

                    if (row.Seq <= retainAbove)
                    {
                        if (keptAtOrBelow)
                        {
                            continue;
                        }

                        keptAtOrBelow = true;
                    }
                }

                writer.Add(row);
            }
        }

        if (!tombstones.IsEmpty)
        {
            writer.AddRangeTombstones(tombstones);
        }

        return writer.Finish();
    }

    /// <inheritdoc />
    protected override async Task ProcessAsync(FlushJob job)
    {
        await job.WalDurable.ConfigureAwait(false);
        await _waitForL0Room().ConfigureAwait(false);
        var table = await UploadAsync(job.Memtable).ConfigureAwait(false);
        await _publish(job.Memtable, table).ConfigureAwait(false);
        _services.Metrics.L0Flushed(table.Info.Size);
        job.Done.TrySetResult();
    }

    /// <inheritdoc />
    protected override void Abandon(FlushJob job, Exception cause) => job.Done.TrySetException(cause);

    private async Task<L0Table> UploadAsync(ImmutableMemtable memtable)
    {
        var settings = _services.Settings;
        var now = _services.NowMs;
        var options = new SstWriterOptions
        {
            BlockSize = settings.BlockSize,
            Compression = settings.Compression,
            BloomBitsPerKey = settings.BloomBitsPerKey,
            MinFilterKeys = settings.MinFilterKeys,
            Kind = SstKind.Compacted,
            CreationTimeMs = now,
            ExpectedSizeBytes = (int)Math.Min(memtable.SizeBytes + (memtable.SizeBytes / 8), Array.MaxLength),
        };
        // One flush at a time, and the bytes are needed only until the PUT completes, so one buffer serves every
        // flush: its pages stay mapped instead of being faulted in afresh for each L0 SST.
        var retainAbove = Snapshots?.RetentionSeq(memtable.MaxSeq) ?? memtable.MaxSeq;
        var result = await BuildSstAsync(
            memtable,
            options,
            _output,
            retainAbove,
            settings.MergeOperator,
            now,
            (key, e) => Log.MergeKeptUnfolded(_services.Logger, _services.DbPath, "a memtable flush", Convert.ToHexString(key.Span), e)).ConfigureAwait(false);

        // SSTs are never overwritten: an id that is taken (another life of this database minted it) gets a new one.
        for (var attempt = 1; ; attempt++)
        {
            var id = _services.Random.NextUlid(now);
            var path = _paths.CompactedSstPath(id);
            try
            {
                await _store.PutAsync(path, result.Data, PutMode.Create).ConfigureAwait(false);
                return new L0Table(id, path, result.Info);
            }
            catch (ObjectAlreadyExistsException) when (attempt < MaxIdAttempts)
            {
            }
        }
    }

    /// <summary>One frozen memtable to flush.</summary>
    internal sealed record FlushJob(ImmutableMemtable Memtable, Task WalDurable, TaskCompletionSource Done);
}

/// <summary>An uploaded L0 SST waiting to be published.</summary>
/// <param name="Id">The SST id.</param>
/// <param name="Path">The object path.</param>
/// <param name="Info">What the writer recorded about it.</param>
internal sealed record L0Table(Ulid Id, string Path, SstInfo Info);
