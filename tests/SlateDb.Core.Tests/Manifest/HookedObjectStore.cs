using System.Runtime.CompilerServices;
using SlateDb.ObjectStore;

namespace SlateDb.Core.Tests.Manifest;

/// <summary>
/// Wraps an <see cref="InMemoryObjectStore"/>, counts requests per operation and runs optional hooks
/// before gets and puts, so tests can force interleavings (a barrier before a put, a delete between
/// list and get) deterministically.
/// </summary>
internal sealed class HookedObjectStore : IObjectStore
{
    private int _gets;
    private int _puts;
    private int _lists;
    private int _conflicts;

    public HookedObjectStore(InMemoryObjectStore? inner = null) => Inner = inner ?? new InMemoryObjectStore();

    public InMemoryObjectStore Inner { get; }

    /// <summary>Runs before every get; may throw or change the inner store.</summary>
    public Func<string, Task>? BeforeGet { get; set; }

    /// <summary>Runs before every put.</summary>
    public Func<string, PutMode, Task>? BeforePut { get; set; }

    public string Uri => Inner.Uri;

    public int Gets => Volatile.Read(ref _gets);

    public int Puts => Volatile.Read(ref _puts);

    public int Lists => Volatile.Read(ref _lists);

    /// <summary>How many puts failed with <see cref="ObjectAlreadyExistsException"/>.</summary>
    public int Conflicts => Volatile.Read(ref _conflicts);

    public async Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        if (BeforeGet is { } hook)
        {
            await hook(path);
        }

        return await Inner.GetAsync(path, range, cancellationToken);
    }

    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default) => Inner.HeadAsync(path, cancellationToken);

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    public async Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _puts);
        if (BeforePut is { } hook)
        {
            await hook(path, mode);
        }

        try
        {
            return await Inner.PutAsync(path, data, mode, options, cancellationToken);
        }
        catch (ObjectAlreadyExistsException)
        {
            Interlocked.Increment(ref _conflicts);
            throw;
        }
    }

    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lists);
        await foreach (var meta in Inner.ListAsync(prefix, startAfter, cancellationToken))
        {
            yield return meta;
        }
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => Inner.DeleteAsync(path, cancellationToken);

    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default) => Inner.CopyAsync(from, to, cancellationToken);

    public void ResetCounts()
    {
        _gets = 0;
        _puts = 0;
        _lists = 0;
        _conflicts = 0;
    }
}
