using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Compaction;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.ObjectStore;

namespace SlateDb;

/// <summary>
/// A standalone compactor: merges a database's L0 SSTs and sorted runs from a process other than the writer's (set
/// <see cref="Settings.Compactor"/> to null in the writer then). Opening claims the compactor epoch, which fences any
/// older compactor of the database, the one inside a <see cref="Db"/> included; a compactor opened later fences this one.
/// </summary>
/// <example>
/// <code>
/// await using var compactor = await Compactor.OpenAsync("orders", store);
/// await compactor.RunAsync(stoppingToken);   // until cancelled, or FencedException when a newer compactor starts
/// </code>
/// </example>
/// <remarks>
/// The writer and the compactor both change the manifest through compare-and-swap updates re-applied on conflict, so
/// neither loses the other's change; the writer notices a compaction at its next manifest poll. Safe for concurrent
/// use; <see cref="RunAsync"/> and <see cref="CompactAsync"/> may be called once each at a time.
/// </remarks>
public sealed class Compactor : IAsyncDisposable
{
    private readonly CompactorCore _core;
    private readonly TaskCompletionSource<Exception> _failed;
    private readonly Lock _lock = new();
    private bool _started;
    private Task? _disposeTask;

    private Compactor(string path, CompactorCore core, TaskCompletionSource<Exception> failed)
    {
        Path = path;
        _core = core;
        _failed = failed;
    }

    /// <summary>The database path.</summary>
    public string Path { get; }

    /// <summary>The compactor epoch this instance claimed.</summary>
    public ulong Epoch => _core.Epoch ?? 0;

    /// <summary>
    /// Opens a compactor for the database at <paramref name="path"/> in <paramref name="store"/> and claims the
    /// compactor epoch (the database's manifest must exist or is created empty).
    /// </summary>
    /// <param name="path">The database's path inside the store.</param>
    /// <param name="store">The object store holding the database.</param>
    /// <param name="settings">
    /// The database's settings: output SSTs use its block size, compression and filters; the policy is
    /// <see cref="Settings.Compactor"/>, or the <see cref="CompactorSettings"/> defaults when that is null. Default: defaults.
    /// </param>
    /// <param name="timeProvider">The clock for polling and timestamps (tests pass a fake one). Default: the system clock.</param>
    /// <param name="loggerFactory">Where progress is logged (category <c>SlateDb.Compactor</c>).</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="ArgumentException">The path or a setting is invalid.</exception>
    /// <exception cref="FencedException">Another compactor claimed the epoch while this one was opening.</exception>
    public static async Task<Compactor> OpenAsync(
        string path,
        IObjectStore store,
        Settings? settings = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(store);
        DbPaths.ValidateDbPath(path, nameof(path));
        var format = (settings ?? new Settings()).Clone();
        format.Validate();
        var policy = format.Compactor ?? new CompactorSettings();
        var time = timeProvider ?? TimeProvider.System;
        var random = new DbRandom(unchecked((ulong)time.GetUtcNow().UtcTicks) ^ (ulong)Environment.ProcessId);
        var retrying = StoreRetries.Retrying(store, time, random);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SlateDb.Compactor");
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var core = new CompactorCore(
            retrying, new DbPaths(path), format, policy, time, random, logger, new DbMetrics(path), null, e => failed.TrySetResult(e));
        await core.ClaimAsync(cancellationToken).ConfigureAwait(false);
        return new Compactor(path, core, failed);
    }

    /// <summary>
    /// Compacts on the configured schedule until <paramref name="cancellationToken"/> is cancelled (then completes
    /// normally) or the compactor stops on an error.
    /// </summary>
    /// <exception cref="FencedException">A newer compactor claimed the database.</exception>
    /// <exception cref="SlateDbException">An error no retry can fix (corruption, an invariant violation).</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        EnsureStarted();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.Register(() => cancelled.TrySetResult()).ConfigureAwait(false))
        {
            if (await Task.WhenAny(_failed.Task, cancelled.Task).ConfigureAwait(false) == _failed.Task)
            {
                throw await _failed.Task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs compactions until none is due (no L0 backlog, no group of similar runs) and none runs.</summary>
    /// <exception cref="FencedException">A newer compactor claimed the database.</exception>
    public Task CompactAsync(CancellationToken cancellationToken = default)
    {
        EnsureStarted();
        return _core.WaitIdleAsync(cancellationToken);
    }

    /// <summary>Stops compacting: running compactions are cancelled (their outputs stay unreferenced until GC).</summary>
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposeTask ??= _core.StopAsync();
        }

        return new ValueTask(_disposeTask);
    }

    private void EnsureStarted()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposeTask is not null, this);
            if (!_started)
            {
                _started = true;
                _core.Start();
            }
        }
    }
}
