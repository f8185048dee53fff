using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlateDb.ObjectStore;

namespace SlateDb.Extensions.Hosting;

/// <summary>
/// One registered database: opened when the host starts (its hosted service) or when it is first resolved, whichever
/// comes first, and closed when the host stops.
/// </summary>
/// <remarks>
/// Invariants: the database is opened at most once (one shared open task; a failed open is not retried, its error is
/// what every later resolution gets); after <see cref="CloseAsync"/> it is never opened again; closing flushes the
/// memtable to L0 and records the WAL position.
/// <para>
/// The host constructs every hosted service before it starts any, so a hosted service that takes the <see cref="Db"/>
/// in its constructor resolves it before the database's own hosted service ran: that resolution opens it, blocking.
/// </para>
/// </remarks>
internal sealed class SlateDbInstance
{
    private readonly IServiceProvider _services;
    private readonly Lock _lock = new();

    // Stores this instance created from URIs (S3 and Azure stores own SDK clients): disposed after the database closes.
    private readonly List<IObjectStore> _ownedStores = [];
    private Task<IAsyncDisposable>? _opening;
    private bool _closed;

    public SlateDbInstance(string name, IServiceProvider services, bool reader = false)
    {
        Name = name;
        _services = services;
        IsReader = reader;
    }

    /// <summary>Whether this registration opens a <see cref="DbReader"/> (a read replica) instead of the writer.</summary>
    public bool IsReader { get; }

    /// <summary>The registration name (the DI key).</summary>
    public string Name { get; }

    /// <summary>The options the database opened (or will open) with.</summary>
    public SlateDbOptions Options => _services.GetRequiredService<IOptionsMonitor<SlateDbOptions>>().Get(Name);

    /// <summary>The open database, or null before it opened, after a failed open, or after it closed.</summary>
    public Db? OpenDb
    {
        get
        {
            lock (_lock)
            {
                return !_closed && _opening is { IsCompletedSuccessfully: true } opened ? opened.Result as Db : null;
            }
        }
    }

    /// <summary>Why opening failed, or null.</summary>
    public Exception? OpenError
    {
        get
        {
            lock (_lock)
            {
                return _opening is { IsFaulted: true } failed ? failed.Exception?.InnerException : null;
            }
        }
    }

    /// <summary>The open database, opened now (blocking) if the host has not opened it yet.</summary>
    /// <exception cref="InvalidOperationException">The host stopped and closed it, or opening failed (the cause is inside).</exception>
    [SuppressMessage("Usage", "VSTHRD002", Justification = "A DI factory is synchronous; the open runs without a synchronization context (ConfigureAwait(false) throughout).")]
    public Db Db => (Db)Opened();

    /// <summary>The open reader (a reader registration), opened now (blocking) if the host has not opened it yet.</summary>
    /// <exception cref="InvalidOperationException">The host stopped and closed it, or opening failed (the cause is inside).</exception>
    public DbReader Reader => (DbReader)Opened();

    /// <summary>Why <see cref="OpenDb"/> is null now.</summary>
    public string NotOpenReason()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return $"SlateDb database '{Name}' is closed: the host stopped.";
            }

            return _opening switch
            {
                { IsFaulted: true } failed => $"SlateDb database '{Name}' failed to open: {failed.Exception?.InnerException?.Message}",
                { IsCompleted: false } => $"SlateDb database '{Name}' is opening.",
                _ => $"SlateDb database '{Name}' is not open yet: it opens when the host starts (its IHostedService) or when it is first resolved.",
            };
        }
    }

    [SuppressMessage("Usage", "VSTHRD002", Justification = "A DI factory is synchronous; the open runs without a synchronization context (ConfigureAwait(false) throughout).")]
    private IAsyncDisposable Opened()
    {
        var opening = OpenSharedAsync(CancellationToken.None);
        try
        {
            return opening.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not InvalidOperationException)
        {
            throw new InvalidOperationException($"SlateDb database '{Name}' failed to open: {e.Message}", e);
        }
    }

    /// <summary>Opens the database (once; later calls share the first call's open).</summary>
    public Task OpenAsync(CancellationToken cancellationToken) => OpenSharedAsync(cancellationToken);

    /// <summary>Closes the database: flushes it to L0 and records the WAL position (a failure that already closed it is not thrown again).</summary>
    public async Task CloseAsync()
    {
        Task<IAsyncDisposable>? opening;
        lock (_lock)
        {
            opening = _opening;
            _closed = true;
        }

        try
        {
            if (opening is not null)
            {
                await ((Task)opening).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (opening.IsCompletedSuccessfully)
                {
                    await opening.Result.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var store in _ownedStores)
            {
                (store as IDisposable)?.Dispose();
            }
        }
    }

    private Task<IAsyncDisposable> OpenSharedAsync(CancellationToken cancellationToken)
    {
        Task<IAsyncDisposable> opening;
        lock (_lock)
        {
            if (_closed)
            {
                throw new InvalidOperationException($"SlateDb database '{Name}' is closed: the host stopped.");
            }

            opening = _opening ??= OpenCoreAsync();
        }

        return opening.WaitAsync(cancellationToken);
    }

    private async Task<IAsyncDisposable> OpenCoreAsync()
    {
        await Task.Yield();
        var options = Options;
        var store = options.Store ?? FromUri(options.StoreUri, "StoreUri")
            ?? throw new InvalidOperationException(
                $"SlateDb database '{Name}' has no object store: set 'SlateDb:{Name}:StoreUri' in configuration, or StoreUri or Store in the options.");
        var walStore = options.WalStore ?? FromUri(options.WalStoreUri, "WalStoreUri");
        var loggerFactory = _services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var time = _services.GetService<TimeProvider>() ?? TimeProvider.System;
        if (IsReader)
        {
            return await DbReader.OpenAsync(
                options.Path ?? Name,
                store,
                new DbReaderOptions
                {
                    WalObjectStore = walStore,
                    Settings = options.Settings,
                    ManifestPollInterval = options.Settings.ManifestPollInterval,
                    LoggerFactory = loggerFactory,
                    TimeProvider = time,
                }).ConfigureAwait(false);
        }

        var builder = Db.Builder(options.Path ?? Name, store).WithSettings(options.Settings).WithLogger(loggerFactory).WithTimeProvider(time);
        if (walStore is not null)
        {
            builder.WithWalObjectStore(walStore);
        }

        return await builder.BuildAsync().ConfigureAwait(false);
    }

    private IObjectStore? FromUri(string? uri, string key)
    {
        if (uri is null)
        {
            return null;
        }

        try
        {
            var store = ObjectStores.FromUri(uri);
            lock (_lock)
            {
                _ownedStores.Add(store);
            }

            return store;
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"SlateDb database '{Name}': {key} '{uri}' is not a store URI: {e.Message}", e);
        }
    }
}
