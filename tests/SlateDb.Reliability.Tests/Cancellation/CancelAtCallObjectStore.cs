using System.Runtime.CompilerServices;
using SlateDb.ObjectStore;

namespace SlateDb.Reliability.Tests.Cancellation;

/// <summary>
/// Forwards every call to an inner store, numbering the calls, and cancels a token source at one chosen call whose
/// path contains a chosen fragment: either just before forwarding it (the call, and the operation that made it, see
/// a cancelled token) or just after it took effect (the operation is cancelled once its store write is done).
/// </summary>
internal sealed class CancelAtCallObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _target;
    private long _matchingCalls;
    private long _cancelAt;
    private string _pathFragment = "";
    private bool _afterCall;

    /// <summary>Every call so far, matching or not.</summary>
    public long Calls { get; private set; }

    /// <summary>Calls so far whose path contains the armed fragment (all calls when none is armed).</summary>
    public long MatchingCalls => _matchingCalls;

    /// <summary>Whether the armed cancellation happened.</summary>
    public bool Fired { get; private set; }

    public string Uri => inner.Uri;

    /// <summary>
    /// Cancels <paramref name="target"/> at the <paramref name="callNumber"/>-th call from now whose path contains
    /// <paramref name="pathFragment"/>, before forwarding it or (with <paramref name="afterCall"/>) after it completed.
    /// </summary>
    public void Arm(CancellationTokenSource target, long callNumber, string pathFragment, bool afterCall)
    {
        lock (_gate)
        {
            _target = target;
            _matchingCalls = 0;
            _cancelAt = callNumber;
            _pathFragment = pathFragment;
            _afterCall = afterCall;
            Fired = false;
        }
    }

    /// <summary>Stops cancelling.</summary>
    public void Disarm()
    {
        lock (_gate)
        {
            _target = null;
        }
    }

    public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
        => CallAsync(path, () => inner.GetAsync(path, range, cancellationToken));

    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
        => CallAsync(path, () => inner.HeadAsync(path, cancellationToken));

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => CallAsync(path, () => inner.PutAsync(path, data, mode, cancellationToken));

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
        => CallAsync(path, () => inner.PutAsync(path, data, mode, options, cancellationToken));

    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var after = Before(prefix);
        await foreach (var meta in inner.ListAsync(prefix, startAfter, cancellationToken))
        {
            yield return meta;
        }

        after?.Cancel();
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default)
        => CallAsync(path, async () =>
        {
            await inner.DeleteAsync(path, cancellationToken);
            return true;
        });

    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
        => CallAsync(to, async () =>
        {
            await inner.CopyAsync(from, to, cancellationToken);
            return true;
        });

    private async Task<T> CallAsync<T>(string path, Func<Task<T>> call)
    {
        var after = Before(path);
        var result = await call();
        after?.Cancel();
        return result;
    }

    // Counts the call; cancels now if it is the armed one and armed "before", or returns the source to cancel after it.
    private CancellationTokenSource? Before(string path)
    {
        CancellationTokenSource? now = null;
        CancellationTokenSource? later = null;
        lock (_gate)
        {
            Calls++;
            if (_target is not null && path.Contains(_pathFragment, StringComparison.Ordinal) && ++_matchingCalls == _cancelAt)
            {
                Fired = true;
                if (_afterCall)
                {
                    later = _target;
                }
                else
                {
                    now = _target;
                }
            }
        }

        now?.Cancel();
        return later;
    }
}
