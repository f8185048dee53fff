using System.Text;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;
using SlateDb.Read;
using SlateDb.Reader;

namespace SlateDb;

/// <summary>
/// A read-only view of a database, for reading in other processes than the writer's. It sees only durable data (L0,
/// sorted runs and stored WAL objects), never writes WAL objects and never fences the writer.
/// </summary>
/// <remarks>
/// <para>
/// By default the reader follows the database: every <see cref="DbReaderOptions.ManifestPollInterval"/> (or on
/// <see cref="RefreshAsync"/>) it reads the latest manifest and replays the WAL objects stored since into memtables of its
/// own. It keeps a short-lived checkpoint (named <c>db-reader</c>) so garbage collection leaves what it reads, moves it
/// as the database changes, and deletes it when disposed. With <see cref="DbReaderOptions.CheckpointId"/> it reads that
/// checkpoint's view, which never moves.
/// </para>
/// <para>
/// A following reader is a warm standby: <see cref="PromoteAsync"/> makes it the writer, fencing the old one. Thread-safe.
/// </para>
/// </remarks>
public sealed class DbReader : IAsyncDisposable
{
    private readonly ReaderEngine _engine;

    private DbReader(ReaderEngine engine) => _engine = engine;

    internal ReaderEngine Engine => _engine;

    /// <summary>The checkpoint the reader reads through (its own while following; the pinned one otherwise).</summary>
    public Guid? CheckpointId => _engine.CheckpointId;

    /// <summary>The id of the manifest the reader's view comes from.</summary>
    public ulong ManifestId => _engine.View.Id;

    /// <summary>The last WAL id the reader has replayed.</summary>
    public ulong LastWalId => _engine.ThroughWalId;

    /// <summary>Opens a read-only view of the database at <paramref name="path"/> in <paramref name="store"/>.</summary>
    /// <param name="path">The database's path inside the store.</param>
    /// <param name="store">The object store holding the database.</param>
    /// <param name="options">Follow or pin, the WAL store, polling; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="ArgumentException">The path is not a valid database path, or an option is out of range.</exception>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) there is no database at the path, the
    /// checkpoint does not exist, the WAL store does not match the one the manifest records, or the database is an unfinished clone.</exception>
    /// <exception cref="CorruptionException">An object the view needs failed verification or is missing.</exception>
    public static async Task<DbReader> OpenAsync(string path, IObjectStore store, DbReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(store);
        Layout.DbPaths.ValidateDbPath(path, nameof(path));
        var engine = await ReaderEngine.OpenAsync(path, store, options ?? new DbReaderOptions(), cancellationToken).ConfigureAwait(false);
        return new DbReader(engine);
    }

    /// <summary>The value of <paramref name="key"/>, or null when it is absent or deleted. The array is the caller's.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes.</exception>
    /// <exception cref="DbClosedException">The reader is disposed, was promoted, or stopped after a failure.</exception>
    /// <exception cref="SlateDbException">The object store failed (<see cref="SlateDbErrorKind.Unavailable"/> when a retry may help).</exception>
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        Limits.ValidateKey(key.Span, nameof(key));
        return DbReads.GetAsync(_engine.Services, _engine.Lifecycle, _engine.State, _engine.Tables, key, ReadBound.At(ulong.MaxValue), cancellationToken);
    }

    /// <summary>The value of the UTF-8 encoding of <paramref name="key"/>, or null.</summary>
    public ValueTask<byte[]?> GetAsync(string key, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return GetAsync(Encoding.UTF8.GetBytes(key), readOptions, cancellationToken);
    }

    /// <summary>
    /// The values of <paramref name="keys"/> in the same order (null where absent or deleted), as one
    /// <see cref="GetAsync(ReadOnlyMemory{byte}, ReadOptions?, CancellationToken)"/> per key would return them, read from
    /// one view, with lookups that need the same SSTs and blocks sharing their reads (see <see cref="Db.GetManyAsync"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A key is empty or longer than 65 535 bytes (the message names its index).</exception>
    /// <exception cref="DbClosedException">The reader is disposed, was promoted, or stopped after a failure.</exception>
    public Task<byte[]?[]> GetManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> keys, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        DbReads.ValidateKeys(keys, nameof(keys));
        return DbReads.GetManyAsync(_engine.Services, _engine.Lifecycle, _engine.State, _engine.Tables, keys, ReadBound.At(ulong.MaxValue), cancellationToken);
    }

    /// <summary>The keys and values in <paramref name="range"/> in key order, as the view is when this is called.</summary>
    /// <remarks>Every read of a reader sees only durable data, whatever <see cref="ReadOptions.DurabilityFilter"/> says.</remarks>
    /// <exception cref="DbClosedException">The reader is disposed, was promoted, or stopped after a failure.</exception>
    public DbIterator ScanAsync(KeyRange range, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(range);
        _engine.Lifecycle.ThrowIfNotReadable();
        _engine.Services.Metrics.Scan();
        return new DbIterator(
            new ScanIterator(_engine.Pins.Pin(_engine.State), range, ulong.MaxValue, _engine.Tables, _engine.Lifecycle, _engine.Services.Resolution, _engine.Services.Settings.ScanReadAheadBytes, cancellationToken), _engine.Services.DbPath);
    }

    /// <summary>
    /// Catches up now instead of at the next poll: the latest manifest and the WAL objects stored since. A reader pinned
    /// to a checkpoint does nothing.
    /// </summary>
    /// <exception cref="DbClosedException">The reader is disposed, was promoted, or stopped after a failure.</exception>
    /// <exception cref="CorruptionException">A manifest or WAL object failed verification.</exception>
    public Task RefreshAsync(CancellationToken cancellationToken = default) => _engine.RefreshAsync(cancellationToken);

    /// <summary>
    /// Makes this following reader the writer (hot standby failover): claims the writer epoch and fences the old writer
    /// exactly as <see cref="DbBuilder.BuildAsync"/> does, applies the memtables this reader already replayed, replays
    /// only the WAL objects it has not seen, keeps its open SSTs and block cache, and returns the open <see cref="Db"/>.
    /// Every write the old writer acknowledged as durable is in it; the old writer's next write fails with
    /// <see cref="FencedException"/>. The reader is closed afterwards; if opening fails it keeps following.
    /// </summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the reader is pinned to a checkpoint.</exception>
    /// <exception cref="DbClosedException">The reader is disposed or stopped after a failure.</exception>
    /// <exception cref="FencedException">Another writer claimed the database while this one was opening.</exception>
    public Task<Db> PromoteAsync(CancellationToken cancellationToken = default) => _engine.PromoteAsync(cancellationToken);

    /// <summary>Stops following and deletes the reader's checkpoint. Later calls do nothing.</summary>
    public ValueTask DisposeAsync() => new(_engine.CloseAsync());
}
