using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace SlateDb.ObjectStore;

/// <summary>
/// Retries transient failures of the store it wraps, with bounded attempts and exponential backoff with full jitter,
/// and makes retried conditional puts safe.
/// </summary>
/// <remarks>
/// <para>
/// What is retried: an <see cref="ObjectStoreException"/> whose <see cref="ObjectStoreException.IsTransient"/> is true,
/// a <see cref="TimeoutException"/>, an <see cref="HttpRequestException"/> (a store that let one escape), and an
/// <see cref="OperationCanceledException"/> not caused by the caller's token (an HTTP client timeout). Nothing else
/// is: not-found, conflicts, precondition failures, argument errors and local <see cref="IOException"/>s (a full or
/// failing disk does not heal by itself) go straight to the caller. When the attempts run out, the last failure
/// propagates unchanged.
/// </para>
/// <para>
/// A conditional put whose reply was lost may have taken effect, and its retry would then see its own object as a
/// conflict. So every <see cref="PutMode.Create"/> and <see cref="PutMode.Update"/> carries a put id (the caller's,
/// or a fresh 128-bit one). When a retry (not the first attempt) fails with <see cref="ObjectAlreadyExistsException"/>
/// or <see cref="PreconditionFailedException"/>, the wrapper reads the object's metadata: if it carries this put's id
/// the earlier attempt landed and that metadata is returned; otherwise the conflict is real and is thrown.
/// </para>
/// <para>A listing that fails part-way resumes after the last path it yielded.</para>
/// </remarks>
public sealed class RetryingObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly RetryOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _randomLock = new();
    private readonly Random? _seeded;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The store to call.</param>
    /// <param name="options">Attempts and backoff; the defaults of <see cref="RetryOptions"/> when null.</param>
    /// <param name="timeProvider">The clock backoff waits on; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="seed">
    /// Seeds the jitter and the generated put ids, for reproducible tests. When null both come from a cryptographic
    /// generator, so put ids are unique across processes.
    /// </param>
    public RetryingObjectStore(IObjectStore inner, RetryOptions? options = null, TimeProvider? timeProvider = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _options = options ?? new RetryOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _seeded = seed is { } s ? new Random(s) : null;
    }

    /// <inheritdoc />
    public string Uri => _inner.Uri;

    /// <summary>The wrapped store.</summary>
    public IObjectStore Inner => _inner;

    /// <summary>The attempts and backoff in use.</summary>
    public RetryOptions Options => _options;

    /// <inheritdoc />
    public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
        => ExecuteAsync((_, ct) => _inner.GetAsync(path, range, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
        => ExecuteAsync((_, ct) => _inner.HeadAsync(path, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(options);
        if (mode.Kind == PutModeKind.Overwrite)
        {
            return ExecuteAsync((_, ct) => _inner.PutAsync(path, data, mode, options, ct), cancellationToken);
        }

        var putId = options.PutId ?? NewPutId();
        var stamped = options with { PutId = putId };
        return ExecuteAsync(
            async (attempt, ct) =>
            {
                try
                {
                    return await _inner.PutAsync(path, data, mode, stamped, ct).ConfigureAwait(false);
                }
                catch (ObjectStoreException ex) when (attempt > 0 && ex is ObjectAlreadyExistsException or PreconditionFailedException)
                {
                    var own = await FindOwnWriteAsync(path, putId, ct).ConfigureAwait(false);
                    if (own is not null)
                    {
                        return own;
                    }

                    throw;
                }
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var resumeAfter = startAfter;
        var failures = 0;
        while (true)
        {
            var enumerator = _inner.ListAsync(prefix, resumeAfter, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            yield break;
                        }
                    }
                    catch (Exception ex) when (failures + 1 < _options.MaxAttempts && IsTransient(ex, cancellationToken))
                    {
                        break;
                    }

                    // Progress resets the budget: only consecutive failures count against MaxAttempts.
                    failures = 0;
                    resumeAfter = enumerator.Current.Path;
                    yield return enumerator.Current;
                }
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }

            failures++;
            await Task.Delay(BackoffDelay(failures), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string path, CancellationToken cancellationToken = default)
        => ExecuteAsync(
            async (_, ct) =>
            {
                await _inner.DeleteAsync(path, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
        => ExecuteAsync(
            async (_, ct) =>
            {
                await _inner.CopyAsync(from, to, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    /// <summary>Whether <paramref name="exception"/> is worth retrying (see the class remarks).</summary>
    internal static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        ObjectStoreException store => store.IsTransient,
        TimeoutException or HttpRequestException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based): uniform in [0, min(max, initial·2^(retry-1))].</summary>
    internal TimeSpan BackoffDelay(int retry)
    {
        var cap = _options.InitialDelay.Ticks * Math.Pow(2, Math.Min(retry - 1, 62));
        cap = Math.Min(cap, _options.MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)(cap * NextDouble()));
    }

    private async Task<T> ExecuteAsync<T>(Func<int, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await operation(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt + 1 < _options.MaxAttempts && IsTransient(ex, cancellationToken))
            {
                await Task.Delay(BackoffDelay(attempt + 1), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The object's metadata when it carries <paramref name="putId"/> (an earlier attempt landed), else null.</summary>
    private async Task<ObjectMeta?> FindOwnWriteAsync(string path, string putId, CancellationToken cancellationToken)
    {
        try
        {
            var meta = await _inner.HeadAsync(path, cancellationToken).ConfigureAwait(false);
            return string.Equals(meta.PutId, putId, StringComparison.Ordinal) ? meta : null;
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    private string NewPutId()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (_seeded is null)
        {
            RandomNumberGenerator.Fill(bytes);
        }
        else
        {
            lock (_randomLock)
            {
                _seeded.NextBytes(bytes);
            }
        }

        return Convert.ToHexStringLower(bytes);
    }

    private double NextDouble()
    {
        if (_seeded is null)
        {
            return RandomNumberGenerator.GetInt32(int.MaxValue) / (double)int.MaxValue;
        }

        lock (_randomLock)
        {
            return _seeded.NextDouble();
        }
    }
}
