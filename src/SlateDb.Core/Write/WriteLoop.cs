using System.Runtime.CompilerServices;
using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Read;
using SlateDb.Transactions;
using SlateDb.Wal;

namespace SlateDb.Write;

// The write loop is the only place sequence numbers are assigned and the only writer of the active memtable.
//
// Invariants
//  1. Sequence numbers are assigned in the order writes enter the gate; all rows of a batch share one seq.
//  2. A batch is appended whole to the WAL buffer and inserted whole into the active memtable before the gate opens
//     again, so a batch never spans two WAL objects or two memtables.
//  3. A write becomes visible (VisibleSeq) only after every row of it, and of every lower seq, is in the memtable.
//  4. WAL ids are assigned when a buffer is sealed, under the gate, so ids follow sequence order; sealing happens
//     every FlushInterval (timer), when the buffer is large, on FlushAsync, whenever the memtable is frozen, and
//     when a write waits for durability (group commit, rule 8).
//  5. Freezing seals the WAL buffer first and stamps the frozen memtable with that WAL id: every row of the memtable
//     is in a WAL object with id <= the stamp and no later write is. The stamp becomes replay_after_wal_id once the
//     memtable is in L0, and the flusher publishes only after the WAL is durable through the stamp.
//  6. Nothing is accepted after the lifecycle leaves Open; a failure faults the current WAL generation's durable task.
//  7. While transactions are open, every write's keys are recorded (Commits) after its seq is visible and before the
//     gate opens; a transaction's conflict check runs inside the gate before its batch is sequenced.
//  8. Leader/follower group commit: a write made with WriteOptions.AwaitDurable seals the buffer at once when no
//     sealed buffer is waiting to be stored (_pacer.Idle): it leads. Otherwise it marks the buffer wanted and
//     follows: when the last sealed buffer is stored, the wanted buffer is sealed, so every durable write that
//     arrived during one PUT rides the next. A durability-driven seal never queues behind another, so PUTs per
//     durable write fall as writers grow. Writes nobody waits for (AwaitDurable off, whose handle's Durable may be
//     awaited later) are sealed by the timer (FlushInterval bounds them), by size, by FlushAsync, or by a durable
//     neighbour's seal. When the PUT that just completed carried many more awaited writes than wait now, the next
//     durability-driven seal is held until those writers are back or half a PUT latency passed (GroupCommitPacer),
//     so a closed loop of writers rides one PUT rather than two alternating ones.
//
// Outline (one critical section per write, on the caller's thread)
//   gate → check open → seq = ++lastSeq → rows → WAL buffer → active memtable → VisibleSeq = seq
//        → seal the WAL buffer if large → freeze the memtable if full → WriteHandle(seq, this generation's durable task)
//   WalWriter (background) stores sealed buffers in id order, calls WalStored (which seals a wanted buffer when
//   nothing else is in flight) and completes their durable tasks.
//   MemtableFlusher (background) turns frozen memtables into L0 SSTs and publishes them in the manifest.
//
// Why a gate rather than a dedicated loop task fed by a channel: the critical section is a few microseconds of
// copying, so running it on the caller's thread avoids a thread hop and a completion object per write, lets
// non-durable writes complete synchronously, and keeps group commit: every write that entered the gate between two
// seals shares one WAL object and one durable task.

/// <summary>Sequences writes into the WAL buffer and the active memtable.</summary>
internal sealed class WriteLoop : IDisposable, IReplayTarget, IReadSeqs
{
    private readonly Lock _gate = new();
    private readonly EngineServices _services;
    private readonly Lifecycle _lifecycle;
    private readonly DbStateHolder _state;
    private readonly WalBuffer _wal;
    private readonly WalWriter _walWriter;
    private readonly MemtableFlusher _flusher;
    private readonly Backpressure _backpressure;
    private readonly Action<Exception> _onFailure;
    private readonly long _walSealBytes;
    private readonly long _freezeBytes;
    private readonly GroupCommitPacer _pacer;
    private Memtables.Memtable _active;
    private ulong _lastSeq;
    private ulong _visibleSeq;
    private long _lastTick;
    private ulong _lastSealedWalId;
    private Task _lastSealedDurable = Task.CompletedTask;
    private bool _durableWanted;
    private ITimer? _timer;
    private ITimer? _holdTimer;
    private bool _holdArmed;
    private bool _holdTimerDisposed;

    public WriteLoop(
        EngineServices services,
        Lifecycle lifecycle,
        DbStateHolder state,
        WalBuffer wal,
        WalWriter walWriter,
        MemtableFlusher flusher,
        Backpressure backpressure,
        Action<Exception> onFailure,
        ulong lastL0Seq,
        long lastTick)
    {
        _onFailure = onFailure;
        _services = services;
        _lifecycle = lifecycle;
        _state = state;
        _wal = wal;
        _walWriter = walWriter;
        _flusher = flusher;
        _backpressure = backpressure;
        _active = state.Current.Active;
        _lastSeq = _visibleSeq = lastL0Seq;
        _lastTick = lastTick;
        _freezeBytes = services.Settings.L0SstSizeBytes;
        _walSealBytes = Math.Min(services.Settings.L0SstSizeBytes, 64L * 1024 * 1024);
        _pacer = new GroupCommitPacer(services.Time);
    }

    /// <summary>The highest sequence number visible to reads.</summary>
    public ulong VisibleSeq => Volatile.Read(ref _visibleSeq);

    /// <summary>The highest sequence number stored in the WAL or L0.</summary>
    public ulong DurableSeq => _walWriter.DurableSeq;

    /// <summary>Whether writers must wait for flushes before writing.</summary>
    public bool IsOverLimit => _backpressure.IsOverLimit(Volatile.Read(ref _active).SizeBytes, _wal.Bytes);

    /// <summary>The bytes not yet in L0.</summary>
    public long UnflushedBytes => _backpressure.Unflushed(Volatile.Read(ref _active).SizeBytes, _wal.Bytes);

    /// <summary>Records every write's keys while transactions are open (for their conflict checks).</summary>
    public CommittedWrites Commits { get; } = new();

    /// <summary>
    /// Applies every live operation of <paramref name="batch"/> under one sequence number. <paramref name="validate"/>
    /// runs first, inside the sequencing (no other write is sequenced between it and the apply); when it throws,
    /// nothing is applied.
    /// </summary>
    /// <param name="batch">The operations.</param>
    /// <param name="awaitDurable">Whether the caller waits for durability: the WAL buffer is stored as soon as the
    /// WAL writer is free rather than at the next flush interval.</param>
    /// <param name="validate">Runs inside the sequencing before anything is applied (a transaction's conflict check).</param>
    /// <param name="expireTs">The expiry time of the batch's puts and merges (<see cref="Row.NoExpiry"/>: none).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public WriteHandle Write(WriteBatch batch, bool awaitDurable, Action? validate = null, long expireTs = Row.NoExpiry)
    {
        lock (_gate)
        {
            _lifecycle.ThrowIfNotWritable();
            validate?.Invoke();
            var seq = _lastSeq + 1;
            var tick = Tick();
            var rows = 0;
            try
            {
                for (var i = 0; i < batch.EntryCount; i++)
                {
                    if (!batch.IsSuperseded(i))
                    {
                        var row = batch.GetRow(i, seq, tick, expireTs);
                        _wal.Append(row);
                        _active.Stage(row);
                        rows++;
                    }
                }

                _active.Commit();
            }
            catch (Exception e)
            {
                throw FailInside(e);
            }

            _services.Metrics.Write(rows, batch.LiveBytes);
            var handle = CommitLocked(seq, awaitDurable);
            Commits.Record(batch, seq);
            return handle;
        }
    }

    /// <summary>Applies a single put, delete or merge.</summary>
    /// <param name="kind">Put, delete or merge.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value (empty for a delete).</param>
    /// <param name="awaitDurable">Whether the caller waits for durability (see <see cref="Write(WriteBatch, bool, Action?, long)"/>).</param>
    /// <param name="expireTs">The expiry time of a put or merge (<see cref="Row.NoExpiry"/>: none).</param>
    public WriteHandle Write(RowKind kind, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, bool awaitDurable, long expireTs = Row.NoExpiry)
    {
        lock (_gate)
        {
            _lifecycle.ThrowIfNotWritable();
            var seq = _lastSeq + 1;
            var row = new Row(key, seq, kind, value, Tick(), kind == RowKind.Delete ? Row.NoExpiry : expireTs);
            try
            {
                _wal.Append(row);
                _active.Add(row);
            }
            catch (Exception e)
            {
                throw FailInside(e);
            }

            _services.Metrics.Write(1, key.Length + value.Length);
            var handle = CommitLocked(seq, awaitDurable);
            Commits.Record(key.Span, seq);
            return handle;
        }
    }

    /// <summary>Seals the WAL buffer; the task completes when every write so far is durable.</summary>
    public Task FlushWalAsync()
    {
        lock (_gate)
        {
            _lifecycle.ThrowIfNotWritable();
            SealLocked();
            return _lastSealedDurable;
        }
    }

    /// <summary>Freezes the active memtable; the task completes when every write so far is published in L0.</summary>
    public Task FlushMemtableAsync()
    {
        lock (_gate)
        {
            _lifecycle.ThrowIfNotWritable();
            return FreezeLockedAsync();
        }
    }

    /// <summary>Under backpressure: makes sure a flush is under way that will free memory.</summary>
    public void EnsureFlushing()
    {
        lock (_gate)
        {
            if (!_lifecycle.IsOpen)
            {
                return;
            }

            if (_backpressure.FrozenBytes == 0 && !_active.IsEmpty)
            {
                FreezeLockedAsync();
            }
            else
            {
                SealLocked();
            }
        }
    }

    /// <summary>
    /// Called by the WAL writer after it stored a sealed buffer: when nothing else is in flight and a write waits for
    /// the current buffer, seals it now (the followers of the PUT that just finished lead the next one), unless the
    /// pacer holds the seal for the writers that PUT made durable.
    /// </summary>
    public void WalStored()
    {
        lock (_gate)
        {
            var hold = _pacer.Stored();
            if (!_pacer.Idle || !_lifecycle.IsOpen)
            {
                return;
            }

            if (hold > TimeSpan.Zero)
            {
                ArmHoldLocked(hold);
            }
            else if (_durableWanted)
            {
                SealLocked();
            }
        }
    }

    /// <summary>Starts sealing the WAL buffer every <see cref="Settings.FlushInterval"/>.</summary>
    public void StartTimer()
    {
        var interval = _services.Settings.FlushInterval;
        _timer = _services.Time.CreateTimer(static s => ((WriteLoop)s!).OnTick(), this, interval, interval);
    }

    /// <summary>
    /// Called once the lifecycle is Closing: freezes what is left. The task completes when it is in L0 (or faults).
    /// </summary>
    public Task SealForCloseAsync()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            DisposeHoldTimerLocked();
            return FreezeLockedAsync();
        }
    }

    /// <summary>Faults the durable task of writes still in the buffer (the database failed).</summary>
    public void Fail(Exception error)
    {
        _timer?.Dispose();
        lock (_gate)
        {
            DisposeHoldTimerLocked();
            _wal.Fail(error);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            DisposeHoldTimerLocked();
            _wal.Dispose();
        }
    }

    /// <summary>Stages a replayed row (already durable in the WAL) in the active memtable; <see cref="EndReplayedBatch"/> commits it.</summary>
    public void ApplyReplayed(in Row row)
    {
        lock (_gate)
        {
            _active.Stage(row);
            _lastSeq = Math.Max(_lastSeq, row.Seq);
            _lastTick = Math.Max(_lastTick, row.CreateTs);
        }
    }

    /// <summary>
    /// Ends a replayed batch: commits its rows, and freezes the memtable if full, stamped with the last WAL id replayed completely.
    /// </summary>
    public void EndReplayedBatch(ulong lastCompleteWalId)
    {
        lock (_gate)
        {
            _active.Commit();
            if (_active.SizeBytes >= _freezeBytes)
            {
                FreezeLockedAsync(lastCompleteWalId, Task.CompletedTask);
            }
        }
    }

    /// <summary>Ends replay: replayed rows are visible and durable; new WAL objects start after <paramref name="fenceId"/>.</summary>
    public void FinishReplay(ulong fenceId)
    {
        lock (_gate)
        {
            _active.Commit();
            _lastSealedWalId = fenceId;
            Volatile.Write(ref _visibleSeq, _lastSeq);
        }
    }

    /// <summary>The highest sequence number assigned or replayed.</summary>
    public ulong LastSeq
    {
        get
        {
            lock (_gate)
            {
                return _lastSeq;
            }
        }
    }

    private WriteHandle CommitLocked(ulong seq, bool awaitDurable)
    {
        _lastSeq = seq;
        Volatile.Write(ref _visibleSeq, seq);
        var handle = new WriteHandle(seq, _wal.Durable);
        if (awaitDurable)
        {
            _pacer.AwaitedWrite();
        }

        if (_active.SizeBytes >= _freezeBytes)
        {
            FreezeLockedAsync();
        }
        else if (_wal.Bytes >= _walSealBytes)
        {
            SealLocked();
        }
        else if (awaitDurable)
        {
            RequestDurableLocked();
        }

        return handle;
    }

    // Rule 8: lead (seal now) when the WAL writer has nothing in flight and no hold is under way, else follow (seal
    // when it is done, when the hold's writers are back, or when the hold expires).
    private void RequestDurableLocked()
    {
        if (_pacer.Idle && !_pacer.Holding)
        {
            SealLocked();
        }
        else
        {
            _durableWanted = true;
        }
    }

    private void ArmHoldLocked(TimeSpan hold)
    {
        if (_holdTimerDisposed)
        {
            return;
        }

        // Timers count whole milliseconds: round up so a hold never ends before it started.
        var due = TimeSpan.FromMilliseconds(Math.Ceiling(hold.TotalMilliseconds));
        _holdTimer ??= _services.Time.CreateTimer(static s => ((WriteLoop)s!).OnHoldExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _holdTimer.Change(due, Timeout.InfiniteTimeSpan);
        _holdArmed = true;
    }

    private void DisposeHoldTimerLocked()
    {
        _holdArmed = false;
        _holdTimerDisposed = true;
        _holdTimer?.Dispose();
    }

    private void OnHoldExpired()
    {
        lock (_gate)
        {
            if (!_holdArmed)
            {
                return;
            }

            _holdArmed = false;
            _pacer.HoldExpired();
            if (_durableWanted && _pacer.Idle && _lifecycle.IsOpen)
            {
                SealLocked();
            }
        }
    }

    private void OnTick()
    {
        lock (_gate)
        {
            if (_lifecycle.IsOpen)
            {
                SealLocked();
            }
        }
    }

    private void SealLocked()
    {
        if (_wal.IsEmpty)
        {
            return;
        }

        var sealedWal = _wal.Seal(++_lastSealedWalId);
        _lastSealedDurable = sealedWal.Durable.Task;
        _pacer.Sealed();
        _durableWanted = false;
        if (_holdArmed)
        {
            _holdArmed = false;
            _holdTimer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        _backpressure.WalSealed(sealedWal.Bytes);
        _walWriter.Enqueue(sealedWal);
    }

    private Task FreezeLockedAsync()
    {
        SealLocked();
        return FreezeLockedAsync(_lastSealedWalId, _lastSealedDurable);
    }

    private Task FreezeLockedAsync(ulong stamp, Task walDurable)
    {
        if (_active.IsEmpty)
        {
            return _flusher.LastQueued;
        }

        var frozen = _active.Freeze(stamp);
        var next = new Memtables.Memtable();
        _state.Update(s => s.WithFrozen(frozen, next));
        Volatile.Write(ref _active, next);
        _backpressure.MemtableFrozen(frozen.SizeBytes);
        return _flusher.EnqueueAsync(frozen, walDurable);
    }

    private long Tick()
    {
        var now = _services.NowMs;
        if (now > _lastTick)
        {
            _lastTick = now;
        }

        return _lastTick;
    }

    // A failure half way through a batch leaves the memtable and WAL buffer inconsistent: the database must stop.
    private SlateDbException FailInside(Exception e)
    {
        var error = new SlateDbException(SlateDbErrorKind.Internal, $"'{_services.DbPath}' failed while applying a write: {e.Message}", e);
        _lifecycle.TryFail(error);
        _active.DiscardStaged();
        _wal.Fail(error);
        _ = Task.Run(() => _onFailure(error));
        return error;
    }
}
