namespace SlateDb.Write;

// The pacer decides when the write loop starts the next durability-driven WAL PUT (group commit, WriteLoop rule 8).
//
// Without it, the followers of a PUT lead the next one the moment it completes, before the writers that PUT just
// made durable have come back with their next writes: with W writers each awaiting every put, the writers split
// into a large group and a small one that take turns (measured: 63 and 1 of 64), so every write waits for two PUTs.
//
// Invariants
//  1. It only delays a seal, never reorders or skips one: the write loop still seals one buffer at a time, in WAL-id
//     order, and completes no write earlier than its WAL object and every earlier one are stored.
//  2. A hold starts only when nothing is in flight, the PUT that just completed carried at least two awaited writes,
//     and at least twice as many (plus two) as are waiting now: a closed loop of writers is expected back. A steady
//     stream of independent writers (about as many waiting as just completed) never holds.
//  3. A hold ends when as many awaited writes are waiting as were waiting plus as just completed (the writers came
//     back), when anything seals the buffer, or when the write loop's timer expires: at most half the recent PUT
//     latency (a moving average), so a hold never costs more than half a PUT. No hold when that bound is below
//     MinHold (PUTs that cheap are not worth pacing; a clock that does not move never holds).
//  4. A hold that expires means the writers take longer to come back than half a PUT (many writers on few cores):
//     the store would idle while they do, so the next SkipAfterExpiry PUTs start without a hold, then one is tried
//     again.
//
// Not thread-safe: the write loop owns it under its gate.

/// <summary>Counts awaited writes per WAL buffer and paces durability-driven seals (see the invariants above).</summary>
internal sealed class GroupCommitPacer
{
    /// <summary>Holds shorter than this are not started.</summary>
    internal static readonly TimeSpan MinHold = TimeSpan.FromTicks(1000);   // 100 µs

    /// <summary>How many PUTs start without a hold after a hold expired.</summary>
    internal const int SkipAfterExpiry = 8;

    private readonly TimeProvider _time;
    private int _inFlight;
    private long _inFlightSince;
    private int _waitingInBuffer;
    private int _waitingInFlight;
    private int _holdTarget;
    private TimeSpan _putLatency;
    private int _skipHolds;

    /// <param name="time">The clock PUT latencies are measured with.</param>
    public GroupCommitPacer(TimeProvider time) => _time = time;

    /// <summary>Whether no sealed buffer is waiting to be stored.</summary>
    public bool Idle => _inFlight == 0;

    /// <summary>Whether a hold is under way: a durable write arriving now follows rather than leads.</summary>
    public bool Holding => _holdTarget > 0 && _waitingInBuffer < _holdTarget;

    /// <summary>The moving average of the time from a seal with nothing in flight until nothing is in flight again.</summary>
    public TimeSpan PutLatency => _putLatency;

    /// <summary>Counts a write whose caller awaits durability, appended to the current buffer.</summary>
    public void AwaitedWrite() => _waitingInBuffer++;

    /// <summary>The current buffer was sealed and queued: its awaited writes are in flight; any hold ends.</summary>
    public void Sealed()
    {
        if (_inFlight++ == 0)
        {
            _inFlightSince = _time.GetTimestamp();
        }

        _waitingInFlight += _waitingInBuffer;
        _waitingInBuffer = 0;
        _holdTarget = 0;
    }

    /// <summary>
    /// A sealed buffer was stored. Returns how long to hold the next durability-driven seal (zero: no hold; seal now
    /// if a write waits).
    /// </summary>
    public TimeSpan Stored()
    {
        if (--_inFlight > 0)
        {
            return TimeSpan.Zero;
        }

        var sample = _time.GetElapsedTime(_inFlightSince);
        _putLatency = _putLatency == TimeSpan.Zero ? sample : ((_putLatency * 3) + sample) / 4;
        var completed = _waitingInFlight;
        _waitingInFlight = 0;
        var bound = _putLatency / 2;
        if (completed < 2 || completed < (2 * _waitingInBuffer) + 2 || bound < MinHold)
        {
            return TimeSpan.Zero;
        }

        if (_skipHolds > 0)
        {
            _skipHolds--;
            return TimeSpan.Zero;
        }

        _holdTarget = _waitingInBuffer + completed;
        return bound;
    }

    /// <summary>Ends a hold whose time is up: the next <see cref="SkipAfterExpiry"/> PUTs start without one.</summary>
    public void HoldExpired()
    {
        _holdTarget = 0;
        _skipHolds = SkipAfterExpiry;
    }
}
