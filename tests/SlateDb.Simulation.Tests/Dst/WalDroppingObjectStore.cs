using System.Runtime.CompilerServices;
using SlateDb.ObjectStore;

namespace SlateDb.Simulation.Tests.Dst;

/// <summary>A broken store for checking the checks: every WAL object written after the first is lost right after its put succeeds.</summary>
internal sealed class WalDroppingObjectStore(IObjectStore inner) : IObjectStore
{
    private int _walPuts;

    public string Uri => inner.Uri;

    public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
        => inner.GetAsync(path, range, cancellationToken);

    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default) => inner.HeadAsync(path, cancellationToken);

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    public async Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        var meta = await inner.PutAsync(path, data, mode, options, cancellationToken);
        if (path.Contains("/wal/", StringComparison.Ordinal) && Interlocked.Increment(ref _walPuts) > 1)
        {
            await inner.DeleteAsync(path, cancellationToken);
        }

        return meta;
    }

    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var meta in inner.ListAsync(prefix, startAfter, cancellationToken))
        {
            yield return meta;
        }
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default) => inner.CopyAsync(from, to, cancellationToken);
}
