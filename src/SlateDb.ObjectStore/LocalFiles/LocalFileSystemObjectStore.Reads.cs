using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

/// <summary>The read path: files kept open for ranged reads, and reading a range of an open file.</summary>
public sealed partial class LocalFileSystemObjectStore
{
    /// <summary>
    /// Reads of at most this many bytes run synchronously on the caller's thread (a <c>pread</c> of a few blocks from
    /// the page cache costs less than a hop to the thread pool); longer ones, such as a scan's read-ahead, run on the
    /// thread pool so they overlap the caller's work.
    /// </summary>
    internal const int SyncReadLimit = 16 * 1024;

    private readonly OpenFileCache? _openFiles;

    /// <summary>How many files are kept open for ranged reads now (tests).</summary>
    internal int OpenFileCount => _openFiles?.Count ?? 0;

    /// <summary>
    /// The cached open file of <paramref name="path"/> if the path still names it; otherwise, with
    /// <paramref name="addIfMissing"/>, opens the file and caches it. Null when no file is cached for the path (and
    /// none is to be added), or files are not kept open here.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path names no file (the store translates it).</exception>
    private OpenFileCache.Entry? OpenCached(string path, string fullPath, bool addIfMissing)
    {
        if (_openFiles is null)
        {
            return null;
        }

        if (_openFiles.TryGet(path, out var cached))
        {
            var errno = PosixSync.TryIdentify(fullPath, out var current);
            if (errno == 0 && current == cached.Identity)
            {
                return cached;
            }

            // Deleted, replaced or changed: the handle must not serve the path again.
            _openFiles.Remove(cached);
            if (errno == PosixSync.ENOENT)
            {
                throw new FileNotFoundException($"No file at '{fullPath}'.", fullPath);
            }
        }

        if (!addIfMissing)
        {
            return null;
        }

        var file = OpenExisting(path, fullPath);
        if (PosixSync.TryIdentify(file, out var identity, out _) != 0)
        {
            file.Dispose();
            return null;   // the file system does not report what the check needs; read uncached
        }

        var entry = new OpenFileCache.Entry(path, file, identity, _metadata.Read(file, path, identity.Size, identity.LastModified));
        if (!_openFiles.Add(entry))
        {
            file.Dispose();   // the store is disposed: read uncached
            return null;
        }

        return entry;
    }

    /// <summary>Reads <paramref name="range"/> (all when null) of the open file of the object <paramref name="meta"/> describes.</summary>
    private async ValueTask<ObjectData> ReadAsync(SafeFileHandle file, ObjectMeta meta, string path, ByteRange? range, CancellationToken cancellationToken)
    {
        var (offset, length) = range is { } r ? r.ClampTo(meta.Size) : (0, meta.Size);
        if (length > Array.MaxLength)
        {
            throw new ObjectStoreException(path, Uri, $"Cannot read {length} bytes in one piece; read the object in ranges", isTransient: false);
        }

        var buffer = GC.AllocateUninitializedArray<byte>((int)length);
        var done = 0;
        while (done < buffer.Length)
        {
            var read = buffer.Length <= SyncReadLimit
                ? RandomAccess.Read(file, buffer.AsSpan(done), offset + done)
                : await RandomAccess.ReadAsync(file, buffer.AsMemory(done), offset + done, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ObjectStoreException(path, Uri, $"The file ended after {offset + done} of {meta.Size} bytes: it was changed outside the store", isTransient: false);
            }

            done += read;
        }

        return new ObjectData(meta, buffer);
    }
}
