namespace SlateDb.Engine;

/// <summary>Whether the database is open, closing, closed, fenced or failed, and the error each refused call gets.</summary>
/// <remarks>
/// Transitions: Open → Closing (the caller closes) → Closed; Open or Closing → Fenced or Failed (a background task
/// hit a newer writer or a permanent error). Only the first of Fenced/Failed sticks.
/// </remarks>
internal sealed class Lifecycle
{
    private const int Open = 0;
    private const int Closing = 1;
    private const int Fenced = 2;
    private const int Failed = 3;

    private readonly string _dbPath;
    private int _state;
    private Exception? _cause;

    public Lifecycle(string dbPath) => _dbPath = dbPath;

    /// <summary>Whether calls are accepted.</summary>
    public bool IsOpen => Volatile.Read(ref _state) == Open;

    /// <summary>Whether a newer writer fenced this one.</summary>
    public bool IsFenced => Volatile.Read(ref _state) == Fenced;

    /// <summary>The failure that closed the database (a <see cref="FencedException"/> when fenced); null otherwise.</summary>
    public Exception? Cause => Volatile.Read(ref _cause);

    /// <summary>Moves Open → Closing; false when the database was not open.</summary>
    public bool TryBeginClose() => Interlocked.CompareExchange(ref _state, Closing, Open) == Open;

    /// <summary>Records the failure that closes the database; false when one was already recorded.</summary>
    public bool TryFail(Exception cause)
    {
        var target = cause is FencedException ? Fenced : Failed;
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state is Fenced or Failed)
            {
                return false;
            }

            Volatile.Write(ref _cause, cause);
            if (Interlocked.CompareExchange(ref _state, target, state) == state)
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
    public Exception WriteError() => Volatile.Read(ref _state) switch
    {
        Fenced => new FencedException($"'{_dbPath}' was fenced by a newer writer and is closed; reopen it to write.", Cause),
        Failed => new DbClosedException($"'{_dbPath}' closed after a failure: {Cause?.Message}", Cause),
        _ => new DbClosedException($"'{_dbPath}' is closed."),
    };

    /// <summary>The error for a read refused now.</summary>
    public Exception ReadError() => Volatile.Read(ref _state) switch
    {
        Fenced => new DbClosedException($"'{_dbPath}' is closed: a newer writer fenced it.", Cause),
        Failed => new DbClosedException($"'{_dbPath}' closed after a failure: {Cause?.Message}", Cause),
        _ => new DbClosedException($"'{_dbPath}' is closed."),
    };
}
