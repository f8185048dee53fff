using System.Threading.Channels;

namespace SlateDb.Infrastructure;

// The skeleton every queue-fed background task of an open database shares (the WAL writer, the memtable flusher,
// the compactor's job runner): one loop task takes jobs in queue order and processes them one at a time.
//
// Invariants
//  1. Jobs are processed one at a time, in the order they were enqueued.
//  2. The first failure (a job's exception, or Fail from outside) is kept; the loop's own failure runs onFailure
//     exactly once, before the failed job is abandoned, so whoever observes that job's fault finds the owner failed.
//  3. After the first failure no further job is processed: every queued and later job is abandoned with that cause.
//  4. Every job is either processed or abandoned exactly once (abandon releases what the job holds).
//  5. DrainAsync stops intake and completes when the loop has handled everything queued before it.

/// <summary>A single-reader job queue with one loop task, a sticky first failure, and abandon-on-failure.</summary>
/// <typeparam name="TJob">What one unit of work carries.</typeparam>
internal abstract class BackgroundWorker<TJob>
{
    private readonly Channel<TJob> _queue = Channel.CreateUnbounded<TJob>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly Action<Exception> _onFailure;
    private Exception? _failure;
    private Task _loop = Task.CompletedTask;

    /// <param name="name">What the worker is, for error messages ("the WAL writer").</param>
    /// <param name="dbPath">The database path, for error messages.</param>
    /// <param name="onFailure">Called once with this worker's own first failure (not with one passed to <see cref="Fail"/>).</param>
    protected BackgroundWorker(string name, string dbPath, Action<Exception> onFailure)
    {
        Name = name;
        DbPath = dbPath;
        _onFailure = onFailure;
    }

    /// <summary>What the worker is ("the WAL writer").</summary>
    public string Name { get; }

    /// <summary>The database path.</summary>
    protected string DbPath { get; }

    /// <summary>The first failure, or null while healthy.</summary>
    protected Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Starts the loop task.</summary>
    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Stops intake; completes when every job queued so far was processed or abandoned.</summary>
    public Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    /// <summary>Stops the worker after a failure elsewhere: queued and later jobs are abandoned with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        Interlocked.CompareExchange(ref _failure, error, null);
        _queue.Writer.TryComplete();
    }

    /// <summary>Queues <paramref name="job"/>, or abandons it at once when the worker failed or was drained.</summary>
    protected void Enqueue(TJob job)
    {
        if (Failure is { } failure || !_queue.Writer.TryWrite(job))
        {
            Abandon(job, Failure ?? new DbClosedException($"'{DbPath}' is closed."));
        }
    }

    /// <summary>Does one job. An exception fails the worker (see <see cref="MapFailure"/>).</summary>
    protected abstract Task ProcessAsync(TJob job);

    /// <summary>Releases <paramref name="job"/> without doing it and faults whatever waits on it.</summary>
    protected abstract void Abandon(TJob job, Exception cause);

    /// <summary>Turns an exception of <see cref="ProcessAsync"/> into the failure the database reports.</summary>
    protected virtual Exception MapFailure(TJob job, Exception error) => error;

    private async Task RunAsync()
    {
        await foreach (var job in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (Failure is { } failure)
            {
                Abandon(job, failure);
                continue;
            }

            try
            {
                await ProcessAsync(job).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var error = MapFailure(job, e);

                // Fail the owner first, so whoever sees this job's fault finds the database failed.
                Interlocked.CompareExchange(ref _failure, error, null);
                _onFailure(error);
                Abandon(job, error);
            }
        }
    }
}
