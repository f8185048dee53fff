using SlateDb.ObjectStore;

namespace SlateDb.Admin.Tests.Copies;

/// <summary>Stores objects whose path contains <paramref name="pathPart"/> with one byte flipped (the middle one).</summary>
internal sealed class CorruptingObjectStore(IObjectStore inner, string pathPart) : IObjectStore
{
    public string Uri => inner.Uri;

    public List<string> Corrupted { get; } = [];

    public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
        => inner.GetAsync(path, range, cancellationToken);

    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default) => inner.HeadAsync(path, cancellationToken);

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => inner.PutAsync(path, Corrupt(path, data), mode, cancellationToken);

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
        => inner.PutAsync(path, Corrupt(path, data), mode, options, cancellationToken);

    public IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, CancellationToken cancellationToken = default)
        => inner.ListAsync(prefix, startAfter, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default) => inner.CopyAsync(from, to, cancellationToken);

    private ReadOnlyMemory<byte> Corrupt(string path, ReadOnlyMemory<byte> data)
    {
        if (!path.Contains(pathPart, StringComparison.Ordinal) || data.IsEmpty)
        {
            return data;
        }

        lock (Corrupted)
        {
            Corrupted.Add(path);
        }

        var copy = data.ToArray();
        copy[copy.Length / 2] ^= 0x40;
        return copy;
    }
}
