namespace SlateDb.Engine;

/// <summary>Whether the database is open, closing, closed, fenced or failed, and the error each refused call gets.</summary>
/// <remarks>
/// Transitions: Open → Closing (the caller closes) → Closed; Open or Closing → Fenced or Failed (a background task
/// hit a newer writer or a permanent error). Only the first of Fenced/Failed sticks.
/// <para>
/// Invariant: the state and the failure that caused it change together, in one compare-and-swap of an immutable
/// snapshot, so whoever wins the move to Fenced/Failed is the cause every caller sees (a fence is never reported with
/// another failure's cause, nor the reverse).
/// </para>
/// </remarks>
internal sealed class Lifecycle
{
    private static readonly Snapshot OpenState = new(State.Open, null);
    private static readonly Snapshot ClosingState = new(State.Closing, null);

    private readonly string _dbPath;
    private Snapshot _current = OpenState;

    public Lifecycle(string dbPath) => _dbPath = dbPath;

    private enum State
    {
        Open,
        Closing,
        Fenced,
        Failed,
    }

    /// <summary>Whether calls are accepted.</summary>
    public bool IsOpen => Volatile.Read(ref _current).State == State.Open;

    /// <summary>Whether a newer writer fenced this one.</summary>
    public bool IsFenced => Volatile.Read(ref _current).State == State.Fenced;

    /// <summary>The state as <see cref="DbStatus.State"/> reports it (closing counts as closed).</summary>
    public DbLifecycleState PublicState => Volatile.Read(ref _current).State switch
    {
        State.Open => DbLifecycleState.Open,
        State.Fenced => DbLifecycleState.Fenced,
        State.Failed => DbLifecycleState.Failed,
        _ => DbLifecycleState.Closed,
    };

    /// <summary>The failure that closed the database (a <see cref="FencedException"/> when fenced); null otherwise.</summary>
    public Exception? Cause => Volatile.Read(ref _current).Cause;

    /// <summary>Moves Open → Closing; false when the database was not open.</summary>
    public bool TryBeginClose() => ReferenceEquals(Interlocked.CompareExchange(ref _current, ClosingState, OpenState), OpenState);

    /// <summary>Records the failure that closes the database; false when one was already recorded.</summary>
    public bool TryFail(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var failed = new Snapshot(cause is FencedException ? State.Fenced : State.Failed, cause);
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (current.State is State.Fenced or State.Failed)
            {
                return false;
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, failed, current), current))
            {
                return true;
            }
        }
    }

    /// <summary>Throws the error a write or flush gets when the database is not open.</summary>
    public void ThrowIfNotWritable()
    {
        if (!IsOpen)
        {
            throw WriteError();
        }
    }

    /// <summary>Throws the error a read gets when the database is not open.</summary>
    public void ThrowIfNotReadable()
    {
        if (!IsOpen)
        {
            throw ReadError();
        }
    }

    /// <summary>The error for a write or flush refused now: <see cref="FencedException"/> when fenced, else <see cref="DbClosedException"/>.</summary>
    public Exception WriteError()
    {
        var current = Volatile.Read(ref _current);
        return current.State switch
        {
            State.Fenced => new FencedException($"'{_dbPath}' was fenced by a newer writer and is closed; reopen it to write.", current.Cause),
            State.Failed => new DbClosedException($"'{_dbPath}' closed after a failure: {current.Cause?.Message}", current.Cause),
            _ => new DbClosedException($"'{_dbPath}' is closed."),
        };
    }

    /// <summary>The error for a read refused now.</summary>
    public Exception ReadError()
    {
        var current = Volatile.Read(ref _current);
        return current.State switch
        {
            State.Fenced => new DbClosedException($"'{_dbPath}' is closed: a newer writer fenced it.", current.Cause),
            State.Failed => new DbClosedException($"'{_dbPath}' closed after a failure: {current.Cause?.Message}", current.Cause),
            _ => new DbClosedException($"'{_dbPath}' is closed."),
        };
    }

    // One immutable value per state change: the state and its cause are published by the same reference swap.
    private sealed class Snapshot(State state, Exception? cause)
    {
        public State State { get; } = state;

        public Exception? Cause { get; } = cause;
    }
}
