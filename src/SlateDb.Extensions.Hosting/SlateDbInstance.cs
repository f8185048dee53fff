using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlateDb.ObjectStore;

namespace SlateDb.Extensions.Hosting;

/// <summary>
/// One registered database: opened by its hosted service when the host starts, closed when it stops.
/// </summary>
/// <remarks>
/// Invariants: the database is opened at most once; <see cref="Db"/> is the open database or an error saying why there
/// is none (not started yet, the open failed, or closed); closing flushes the memtable to L0 and records the WAL position.
/// </remarks>
internal sealed class SlateDbInstance
{
    private readonly IServiceProvider _services;
    private readonly Lock _lock = new();
    private Db? _db;
    private Exception? _openError;
    private bool _closed;

    // Stores this instance created from URIs (S3 and Azure stores own SDK clients): disposed after the database closes.
    private readonly List<IObjectStore> _ownedStores = [];

    public SlateDbInstance(string name, IServiceProvider services)
    {
        Name = name;
        _services = services;
    }

    /// <summary>The registration name (the DI key).</summary>
    public string Name { get; }

    /// <summary>The options the database opened (or will open) with.</summary>
    public SlateDbOptions Options => _services.GetRequiredService<IOptionsMonitor<SlateDbOptions>>().Get(Name);

    /// <summary>The open database, or null before the host started it, after a failed open, or after it closed.</summary>
    public Db? OpenDb
    {
        get
        {
            lock (_lock)
            {
                return _closed ? null : _db;
            }
        }
    }

    /// <summary>Why opening failed, or null.</summary>
    public Exception? OpenError => Volatile.Read(ref _openError);

    /// <summary>The open database.</summary>
    /// <exception cref="InvalidOperationException">The database is not open: the message says whether the host has not started it, opening failed or it closed.</exception>
    public Db Db => OpenDb ?? throw new InvalidOperationException(NotOpenReason());

    /// <summary>Why <see cref="Db"/> is not available now.</summary>
    public string NotOpenReason()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return $"SlateDb database '{Name}' is closed: the host stopped.";
            }

            return _openError is { } error
                ? $"SlateDb database '{Name}' failed to open: {error.Message}"
                : $"SlateDb database '{Name}' is not open yet: it opens when the host starts (its IHostedService).";
        }
    }

    /// <summary>Opens the database (once).</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_db is not null || _closed)
            {
                return;
            }
        }

        try
        {
            var options = Options;
            var store = options.Store ?? FromUri(options.StoreUri, "StoreUri")
                ?? throw new InvalidOperationException(
                    $"SlateDb database '{Name}' has no object store: set 'SlateDb:{Name}:StoreUri' in configuration, or StoreUri or Store in AddSlateDb's options.");
            var walStore = options.WalStore ?? FromUri(options.WalStoreUri, "WalStoreUri");
            var builder = Db.Builder(options.Path ?? Name, store)
                .WithSettings(options.Settings)
                .WithLogger(_services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
                .WithTimeProvider(_services.GetService<TimeProvider>() ?? TimeProvider.System);
            if (walStore is not null)
            {
                builder.WithWalObjectStore(walStore);
            }

            var db = await builder.BuildAsync(cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                _db = db;
            }
        }
        catch (Exception e)
        {
            Volatile.Write(ref _openError, e);
            throw;
        }
    }

    /// <summary>Closes the database: flushes it to L0 and records the WAL position (a failure that already closed it is not thrown again).</summary>
    public async Task CloseAsync()
    {
        Db? db;
        lock (_lock)
        {
            db = _db;
            _closed = true;
        }

        try
        {
            if (db is not null)
            {
                await db.DisposeAsync().ConfigureAwait(false);
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

    private IObjectStore? FromUri(string? uri, string key)
    {
        if (uri is null)
        {
            return null;
        }

        try
        {
            var store = ObjectStores.FromUri(uri);
            _ownedStores.Add(store);
            return store;
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"SlateDb database '{Name}': {key} '{uri}' is not a store URI: {e.Message}", e);
        }
    }
}
