using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Engine;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.ObjectStore;

namespace SlateDb;

/// <summary>Configures and opens a <see cref="Db"/>; start with <see cref="Db.Builder"/>.</summary>
public sealed class DbBuilder
{
    private readonly string _path;
    private readonly IObjectStore _store;
    private IObjectStore? _walStore;
    private Settings _settings = new();
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _time = TimeProvider.System;
    private long? _seed;

    internal DbBuilder(string path, IObjectStore store)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(store);
        DbPaths.ValidateDbPath(path, nameof(path));
        _path = path;
        _store = store;
    }

    /// <summary>
    /// Keeps the WAL in <paramref name="walStore"/> instead of the main store. The manifest records the store's
    /// <see cref="IObjectStore.Uri"/>; later opens must name the same store.
    /// </summary>
    public DbBuilder WithWalObjectStore(IObjectStore walStore)
    {
        _walStore = walStore ?? throw new ArgumentNullException(nameof(walStore));
        return this;
    }

    /// <summary>Uses <paramref name="settings"/> (copied and validated when the database opens).</summary>
    public DbBuilder WithSettings(Settings settings)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        return this;
    }

    /// <summary>Logs through <paramref name="loggerFactory"/> (category <c>SlateDb.Db</c>).</summary>
    public DbBuilder WithLogger(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }

    /// <summary>Uses <paramref name="timeProvider"/> for timestamps, flush intervals and polling (tests pass a fake clock).</summary>
    public DbBuilder WithTimeProvider(TimeProvider timeProvider)
    {
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        return this;
    }

    /// <summary>Seeds the database's randomness (SST ids, retry jitter) so a run can be replayed; by default it comes from the clock.</summary>
    public DbBuilder WithSeed(long seed)
    {
        _seed = seed;
        return this;
    }

    /// <summary>Opens the database: claims it as the one writer, fences older writers and replays the WAL.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    /// <exception cref="SlateDbException">The WAL store does not match the one recorded, or the database is an unfinished clone.</exception>
    /// <exception cref="CorruptionException">An object the database needs failed verification or is missing.</exception>
    /// <exception cref="FencedException">Another writer claimed the database while this one was opening.</exception>
    /// <exception cref="SlateDbException">The object store failed (<see cref="SlateDbErrorKind.Unavailable"/> or <see cref="SlateDbErrorKind.Data"/>; the store's exception is inside).</exception>
    public async Task<Db> BuildAsync(CancellationToken cancellationToken = default)
    {
        var settings = _settings.Clone();
        settings.Validate();
        var seed = _seed ?? _time.GetUtcNow().UtcTicks;
        var options = new DbOpenOptions(_path, _store, _walStore, settings, _time, new DbRandom(unchecked((ulong)seed)), _loggerFactory);
        try
        {
            var engine = await DbOpener.OpenAsync(options, cancellationToken).ConfigureAwait(false);
            return new Db(engine);
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(_path, "opening", e);
        }
    }
}
