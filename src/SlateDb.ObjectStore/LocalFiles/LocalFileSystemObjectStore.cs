using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

/// <summary>
/// An object store in a folder of the local file system: each object is a file at its path under the root.
/// </summary>
/// <remarks>
/// <para>
/// Writes are atomic and durable (temp file, fsync, rename or link, fsync of the folder), create-if-absent is
/// atomic across threads and processes (<c>link(2)</c>), and compare-and-swap holds a per-folder lock. The etag and
/// put id live in an extended attribute of each file (see <see cref="LocalObjectMetadata"/>).
/// </para>
/// <para>
/// Local files cannot hold an object at a path that is also a folder of other objects ("a" and "a/b"); such a put
/// fails with an <see cref="ObjectStoreException"/>. Names starting with <c>.slatedb-</c> are reserved for temp and
/// lock files: paths using them are rejected and listings skip them. Deletes are durable (the folder is synced);
/// the folders they empty are kept. Temp files orphaned by a crash mid-put stay, invisible, until removed by hand.
/// </para>
/// <para>
/// On Linux the store keeps up to <see cref="DefaultMaxOpenFiles"/> (or the number given) files open for ranged
/// reads, so reading blocks of a table file costs one <c>pread</c> plus a <c>statx</c> of the path, which checks that
/// the path still names the open file (a file deleted or replaced by anyone is reopened, never read stale). Dispose
/// the store to close them.
/// </para>
/// </remarks>
public sealed partial class LocalFileSystemObjectStore : IObjectStore, IDisposable
{
    /// <summary>How many files a store keeps open for ranged reads unless told otherwise.</summary>
    public const int DefaultMaxOpenFiles = 512;

    /// <summary>The prefix of the store's own files (temp files, lock files); object path segments may not start with it.</summary>
    internal const string ReservedPrefix = ".slatedb-";

    private readonly string _root;
    private readonly LocalObjectMetadata _metadata;
    private readonly AtomicFileWriter _writer;
    private readonly Action<string> _syncDirectory;

    /// <summary>Opens (creating it if missing) the store rooted at the folder <paramref name="root"/>.</summary>
    /// <param name="root">The folder; relative paths are resolved against the current directory.</param>
    /// <exception cref="ArgumentException"><paramref name="root"/> is empty.</exception>
    /// <exception cref="ObjectStoreException">
    /// The root is a file, or it is missing and cannot be created (a folder above it is a file, access is denied,
    /// ...); the message names the root and the reason.
    /// </exception>
    public LocalFileSystemObjectStore(string root)
        : this(root, DefaultMaxOpenFiles)
    {
    }

    /// <summary>Opens (creating it if missing) the store rooted at the folder <paramref name="root"/>, keeping up to <paramref name="maxOpenFiles"/> files open for ranged reads.</summary>
    /// <param name="root">The folder; relative paths are resolved against the current directory.</param>
    /// <param name="maxOpenFiles">
    /// How many object files to keep open for ranged reads (least recently used closed first); 0 opens and closes the
    /// file for every read. Files are kept open on Linux only.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="root"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxOpenFiles"/> is negative.</exception>
    /// <exception cref="ObjectStoreException">
    /// The root is a file, or it is missing and cannot be created (a folder above it is a file, access is denied,
    /// ...); the message names the root and the reason.
    /// </exception>
    public LocalFileSystemObjectStore(string root, int maxOpenFiles)
        : this(root, useExtendedAttributes: true, maxOpenFiles: maxOpenFiles)
    {
    }

    /// <summary>Opens the store; <paramref name="useExtendedAttributes"/> false forces the timestamp etag fallback (tests).</summary>
    /// <param name="root">The folder.</param>
    /// <param name="useExtendedAttributes">Whether to keep etags and put ids in extended attributes where possible.</param>
    /// <param name="syncDirectory">Makes a folder's entries durable; <see cref="PosixSync.FsyncDirectory"/> when null (tests observe it).</param>
    /// <param name="syncFile">Makes an open file's data and attributes durable (the file's path is given too); fsync when null (tests observe it).</param>
    /// <param name="maxOpenFiles">How many files to keep open for ranged reads (0: none).</param>
    internal LocalFileSystemObjectStore(string root, bool useExtendedAttributes, Action<string>? syncDirectory = null, Action<SafeFileHandle, string>? syncFile = null, int maxOpenFiles = DefaultMaxOpenFiles)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOpenFiles);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        Uri = FileUri(_root);
        _syncDirectory = syncDirectory ?? PosixSync.FsyncDirectory;
        var created = CreateRoot();
        _metadata = new LocalObjectMetadata(useExtendedAttributes);
        _writer = new AtomicFileWriter(_root, Uri, _metadata, _syncDirectory, syncFile ?? AtomicFileWriter.FsyncFile, rootSynced: created);
        _openFiles = maxOpenFiles > 0 && PosixSync.HasStatx ? new OpenFileCache(maxOpenFiles) : null;
    }

    /// <summary>
    /// The store's <c>file://</c> URI, for example <c>file:///var/data</c>. Each path segment is percent-escaped
    /// (a '%' too, so no name reads as another), so <see cref="ObjectStores.FromUri(string)"/> of it opens this same
    /// root, whatever its name.
    /// </summary>
    public string Uri { get; }

    /// <summary>The absolute path of the root folder.</summary>
    public string RootPath => _root;

    /// <summary>Whether etags and put ids live in extended attributes (false off Linux or where the file system refuses them).</summary>
    internal bool UsesExtendedAttributes => _metadata.UsesAttributes;

    /// <inheritdoc />
    public async Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            if (range is not null && OpenCached(path, full, addIfMissing: true) is { } cached)
            {
                try
                {
                    return await ReadAsync(cached.Handle, cached.Meta, path, range, cancellationToken).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                    // Evicted between the lookup and the read: read through a handle of its own.
                }
            }

            using var file = OpenExisting(path, full);
            return await ReadAsync(file, _metadata.Read(file, path), path, range, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsLocalFailure(ex))
        {
            throw Translate(ex, path);
        }
    }

    /// <inheritdoc />
    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            if (OpenCached(path, full, addIfMissing: false) is { } cached)
            {
                return Task.FromResult(cached.Meta);
            }

            using var file = OpenExisting(path, full);
            return Task.FromResult(_metadata.Read(file, path));
        }
        catch (Exception ex) when (IsLocalFailure(ex))
        {
            return Task.FromException<ObjectMeta>(Translate(ex, path));
        }
    }

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(options);
        LocalObjectMetadata.ValidatePutId(options.PutId);
        cancellationToken.ThrowIfCancellationRequested();

        // Writing and fsyncing block; keep them off the caller's thread.
        return Task.Run(
            async () =>
            {
                try
                {
                    return await _writer.WriteAsync(path, full, data, mode, options.PutId, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsLocalFailure(ex))
                {
                    throw Translate(ex, path);
                }
                finally
                {
                    // Reads would notice the new file anyway; this closes the old one now.
                    _openFiles?.Remove(path);
                }
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory) || Directory.Exists(full))
        {
            return;   // no such object (a folder of other objects is not one)
        }

        try
        {
            using (await DirectoryLocks.AcquireAsync(directory, cancellationToken).ConfigureAwait(false))
            {
                File.Delete(full);
            }

            _openFiles?.Remove(path);

            _syncDirectory(directory);
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException)
        {
        }
        catch (Exception ex) when (IsLocalFailure(ex))
        {
            throw Translate(ex, path);
        }
    }

    /// <inheritdoc />
    public async Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        FullPath(from, nameof(from));
        FullPath(to, nameof(to));
        var source = await GetAsync(from, range: null, cancellationToken).ConfigureAwait(false);
        await PutAsync(to, source.Bytes, PutMode.Overwrite, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the files kept open for ranged reads. The store stays usable; it then opens a file for each read.</summary>
    public void Dispose() => _openFiles?.Dispose();

    /// <inheritdoc />
    public override string ToString() => Uri;

    /// <summary>The <c>file://</c> URI of the absolute path <paramref name="fullPath"/>, each segment percent-escaped (<see cref="StoreUri.EscapeLocalPath"/>).</summary>
    internal static string FileUri(string fullPath)
    {
        var path = Path.DirectorySeparatorChar == '/' ? fullPath : fullPath.Replace(Path.DirectorySeparatorChar, '/');
        return "file://" + (path.StartsWith('/') ? "" : "/") + StoreUri.EscapeLocalPath(path);
    }

    /// <summary>The root a decoded <c>file://</c> URI path names (on Windows, <c>/C:/x</c> is <c>C:/x</c>).</summary>
    internal static string RootFromUriPath(string uriPath)
        => OperatingSystem.IsWindows() && uriPath is ['/', _, ':', ..] ? uriPath[1..] : uriPath;

    /// <summary>
    /// Creates the root if it is missing, one folder at a time, syncing the parent of each new folder and every
    /// folder above the first one found existing, so the whole chain is durable. Returns whether it created the root
    /// (its chain is then synced already).
    /// </summary>
    private bool CreateRoot()
    {
        if (Directory.Exists(_root))
        {
            return false;
        }

        if (File.Exists(_root))
        {
            throw RootError("it is a file, not a folder", null);
        }

        var missing = new Stack<string>();
        var existing = _root;
        for (; existing is not null && !Directory.Exists(existing); existing = Path.GetDirectoryName(existing))
        {
            if (File.Exists(existing))
            {
                throw RootError($"'{existing}' is a file, not a folder", null);
            }

            missing.Push(existing);
        }

        try
        {
            while (missing.TryPop(out var folder))
            {
                Directory.CreateDirectory(folder);
                if (Path.GetDirectoryName(folder) is { } parent)
                {
                    _syncDirectory(parent);
                }
            }

            // The folder the new chain hangs from may itself be a leftover of a crashed process, never synced.
            if (existing is not null)
            {
                AtomicFileWriter.SyncAncestors(existing, _syncDirectory);
            }
        }
        catch (Exception ex) when (IsLocalFailure(ex))
        {
            throw RootError(ex is UnauthorizedAccessException ? $"access denied ({ex.Message})" : ex.Message, ex);
        }

        return true;
    }

    private ObjectStoreException RootError(string reason, Exception? inner)
        => new("", Uri, $"Cannot open the local object store root '{_root}': {reason}", isTransient: false, inner);

    /// <summary>Validates <paramref name="path"/> and returns the file that holds it.</summary>
    private string FullPath(string path, string paramName = "path")
    {
        ObjectPaths.ValidatePath(path, paramName);
        CheckNotReserved(path, paramName);
        return Path.Join(_root, Path.DirectorySeparatorChar == '/' ? path : path.Replace('/', Path.DirectorySeparatorChar));
    }

    private static void CheckNotReserved(string path, string paramName)
    {
        if (path.StartsWith(ReservedPrefix, StringComparison.Ordinal) || path.Contains("/" + ReservedPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Path segments starting with '{ReservedPrefix}' are reserved by the local file store: '{path}'.", paramName);
        }
    }

    private SafeFileHandle OpenExisting(string path, string fullPath)
    {
        try
        {
            return File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (UnauthorizedAccessException ex) when (Directory.Exists(fullPath))
        {
            // A folder of other objects is not an object.
            throw new ObjectNotFoundException(path, Uri, ex);
        }
    }

    private static bool IsLocalFailure(Exception ex) => ex is IOException or UnauthorizedAccessException or TimeoutException;

    /// <summary>Maps a file-system exception to the store's errors: missing → not found, anything else → permanent failure.</summary>
    private Exception Translate(Exception ex, string path) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => new ObjectNotFoundException(path, Uri, ex),
        PathTooLongException => new ArgumentException($"The object path '{path}' is too long for the local file system: {ex.Message}", nameof(path), ex),
        TimeoutException => new ObjectStoreException(path, Uri, ex.Message, isTransient: true, ex),
        UnauthorizedAccessException => new ObjectStoreException(path, Uri, $"Access denied: {ex.Message}", isTransient: false, ex),
        _ => new ObjectStoreException(path, Uri, $"File system error: {ex.Message}", isTransient: false, ex),
    };
}
