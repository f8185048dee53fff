using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;

namespace SlateDb.Caching;

// An IDistributedCache on a Db (the ASP.NET Core distributed cache conventions, as the SQL Server and Redis caches
// follow them).
//
// Layout: each entry is two keys written and deleted together in one batch: <prefix>m/<key> holds its expiry
// (CacheEntryMeta, 25 bytes), <prefix>v/<key> its value. A sliding refresh rewrites only the 25-byte meta.
//
// Invariants
//  1. An entry whose ExpiresAtMs is at or before now (the injected TimeProvider) is absent for every call: Get returns
//     null, Refresh does nothing; the sweep (RemoveExpiredAsync) deletes it later.
//  2. Expiry follows the conventions: AbsoluteExpirationRelativeToNow wins over AbsoluteExpiration, both are taken
//     relative to the time of the Set, an absolute time not in the future and non-positive durations are refused with
//     ArgumentOutOfRangeException; a sliding window restarts at every Get or Refresh but never passes the absolute limit.
//  3. Every change of one key (Set, Remove, a sliding refresh, a sweep delete) runs under that key's stripe lock and
//     re-reads what it changes, so a refresh or a sweep never brings back or deletes a value a concurrent Set wrote. The
//     Db has one writer process, so the in-process lock is enough.

/// <summary>
/// An <see cref="IDistributedCache"/> whose entries live in a SlateDb database, so sessions and cached responses survive
/// restarts and are shared by whoever opens the database's object store next.
/// </summary>
/// <remarks>
/// Entries expire as the ASP.NET Core conventions say (absolute, relative to now, or sliding); the expiry is stored with
/// the entry and checked on every read, and <see cref="RemoveExpiredAsync"/> (run in the background by
/// <c>AddSlateDbDistributedCache</c> every <see cref="SlateDbCacheOptions.SweepInterval"/>) deletes expired entries.
/// </remarks>
public sealed class SlateDbCache : IDistributedCache
{
    private const int Stripes = 64;

    private readonly Func<Db> _db;
    private readonly SlateDbCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[] _metaPrefix;
    private readonly byte[] _valuePrefix;
    private readonly SemaphoreSlim[] _locks;
    private readonly WriteOptions _writeOptions;
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    /// <summary>A cache on <paramref name="db"/>.</summary>
    /// <param name="db">The open database.</param>
    /// <param name="options">Key prefix, default expiration, sweep interval; null for the defaults.</param>
    /// <param name="timeProvider">The clock expirations are measured on; null for the system clock.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SlateDbCache(Db db, SlateDbCacheOptions? options = null, TimeProvider? timeProvider = null)
        : this(Resolve(db), options, timeProvider)
    {
    }

    internal SlateDbCache(Func<Db> db, SlateDbCacheOptions? options, TimeProvider? timeProvider)
    {
        _db = db;
        _options = options ?? new SlateDbCacheOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _metaPrefix = Encoding.UTF8.GetBytes(_options.KeyPrefix + "m/");
        _valuePrefix = Encoding.UTF8.GetBytes(_options.KeyPrefix + "v/");
        _locks = new SemaphoreSlim[Stripes];
        for (var i = 0; i < Stripes; i++)
        {
            _locks[i] = new SemaphoreSlim(1, 1);
        }

        _writeOptions = _options.AwaitDurable ? new WriteOptions() : NoWait;
    }

    /// <summary>The options the cache uses.</summary>
    internal SlateDbCacheOptions Options => _options;

    /// <inheritdoc />
    [SuppressMessage("Usage", "VSTHRD002", Justification = "IDistributedCache's synchronous members block by contract.")]
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var db = _db();
        var metaKey = MetaKey(key);
        var meta = await ReadMetaAsync(db, metaKey, key, token).ConfigureAwait(false);
        var now = NowMs();
        if (meta is not { } m || m.IsExpired(now))
        {
            return null;
        }

        if (m.SlidingMs == 0)
        {
            return await db.GetAsync(ValueKey(key), cancellationToken: token).ConfigureAwait(false);
        }

        var gate = Lock(key);
        await gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            // Re-read under the lock: a Set or Remove may have run since.
            meta = await ReadMetaAsync(db, metaKey, key, token).ConfigureAwait(false);
            now = NowMs();
            if (meta is not { } current || current.IsExpired(now))
            {
                return null;
            }

            var value = await db.GetAsync(ValueKey(key), cancellationToken: token).ConfigureAwait(false);
            await TouchAsync(db, metaKey, current, now, token).ConfigureAwait(false);
            return value;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    [SuppressMessage("Usage", "VSTHRD002", Justification = "IDistributedCache's synchronous members block by contract.")]
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future, or a relative or sliding expiration is not positive.</exception>
    /// <exception cref="ArgumentException">The key or value is larger than the database allows.</exception>
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var meta = NewMeta(options, NowMs());
        var db = _db();
        var gate = Lock(key);
        await gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            using var batch = new WriteBatch();
            batch.Put(MetaKey(key), meta.Encode());
            batch.Put(ValueKey(key), value);
            await db.WriteAsync(batch, _writeOptions, token).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    [SuppressMessage("Usage", "VSTHRD002", Justification = "IDistributedCache's synchronous members block by contract.")]
    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var db = _db();
        var metaKey = MetaKey(key);
        var gate = Lock(key);
        await gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var now = NowMs();
            if (await ReadMetaAsync(db, metaKey, key, token).ConfigureAwait(false) is { } meta && !meta.IsExpired(now))
            {
                await TouchAsync(db, metaKey, meta, now, token).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    [SuppressMessage("Usage", "VSTHRD002", Justification = "IDistributedCache's synchronous members block by contract.")]
    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var db = _db();
        var gate = Lock(key);
        await gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            using var batch = new WriteBatch();
            batch.Delete(MetaKey(key));
            batch.Delete(ValueKey(key));
            await db.WriteAsync(batch, _writeOptions, token).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Deletes every entry expired now; returns how many. Safe to run beside every other call.</summary>
    /// <param name="cancellationToken">Stops the sweep (what it deleted stays deleted).</param>
    public async Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default)
    {
        var db = _db();
        var now = NowMs();
        var expired = new List<string>();
        var scan = db.ScanAsync(KeyRange.Prefix(_metaPrefix), cancellationToken: cancellationToken);
        await using var scanScope = ((IAsyncDisposable)scan).ConfigureAwait(false);
        while (await scan.NextAsync(cancellationToken).ConfigureAwait(false) is { } kv)
        {
            var key = Encoding.UTF8.GetString(kv.Key.Span[_metaPrefix.Length..]);
            if (CacheEntryMeta.Decode(kv.Value.Span, key).IsExpired(now))
            {
                expired.Add(key);
            }
        }

        var removed = 0;
        foreach (var key in expired)
        {
            var gate = Lock(key);
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Re-read: a Set since the scan made the entry live again.
                var metaKey = MetaKey(key);
                if (await ReadMetaAsync(db, metaKey, key, cancellationToken).ConfigureAwait(false) is { } meta && meta.IsExpired(NowMs()))
                {
                    using var batch = new WriteBatch();
                    batch.Delete(metaKey);
                    batch.Delete(ValueKey(key));
                    await db.WriteAsync(batch, NoWait, cancellationToken).ConfigureAwait(false);
                    removed++;
                }
            }
            finally
            {
                gate.Release();
            }
        }

        return removed;
    }

    private static Func<Db> Resolve(Db db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return () => db;
    }

    private CacheEntryMeta NewMeta(DistributedCacheEntryOptions options, long nowMs)
    {
        var absolute = CacheEntryMeta.Never;
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            if (relative <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(options), relative, "AbsoluteExpirationRelativeToNow must be positive.");
            }

            absolute = CacheEntryMeta.SaturatingAdd(nowMs, (long)Math.Ceiling(relative.TotalMilliseconds));
        }
        else if (options.AbsoluteExpiration is { } at)
        {
            absolute = at.ToUnixTimeMilliseconds();
            if (absolute <= nowMs)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(options), at, $"The absolute expiration {at:O} is not in the future (now is {_time.GetUtcNow():O}).");
            }
        }

        var sliding = options.SlidingExpiration;
        if (sliding is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), s, "SlidingExpiration must be positive.");
        }

        if (sliding is null && absolute == CacheEntryMeta.Never)
        {
            sliding = _options.DefaultSlidingExpiration;
        }

        var slidingMs = sliding is { } w ? Math.Max(1, (long)Math.Ceiling(w.TotalMilliseconds)) : 0;
        var expiresAt = slidingMs == 0 ? absolute : Math.Min(absolute, CacheEntryMeta.SaturatingAdd(nowMs, slidingMs));
        return new CacheEntryMeta(expiresAt, absolute, slidingMs);
    }

    private static async Task TouchAsync(Db db, byte[] metaKey, CacheEntryMeta meta, long nowMs, CancellationToken token)
    {
        var touched = meta.Touched(nowMs);
        if (touched.ExpiresAtMs > meta.ExpiresAtMs)
        {
            await db.PutAsync(metaKey, touched.Encode(), NoWait, token).ConfigureAwait(false);
        }
    }

    private static async Task<CacheEntryMeta?> ReadMetaAsync(Db db, byte[] metaKey, string key, CancellationToken token)
        => await db.GetAsync(metaKey, cancellationToken: token).ConfigureAwait(false) is { } bytes ? CacheEntryMeta.Decode(bytes, key) : null;

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private byte[] MetaKey(string key) => Concat(_metaPrefix, key);

    private byte[] ValueKey(string key) => Concat(_valuePrefix, key);

    private static byte[] Concat(byte[] prefix, string key)
    {
        var bytes = new byte[prefix.Length + Encoding.UTF8.GetByteCount(key)];
        prefix.CopyTo(bytes, 0);
        Encoding.UTF8.GetBytes(key, bytes.AsSpan(prefix.Length));
        return bytes;
    }

    private SemaphoreSlim Lock(string key) => _locks[(StringComparer.Ordinal.GetHashCode(key) & int.MaxValue) % Stripes];
}
