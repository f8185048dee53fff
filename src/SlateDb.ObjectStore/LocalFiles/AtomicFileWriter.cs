using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

// Publishes a local-file object so that readers and a crash only ever see the old object or the complete new one.
//
// Protocol (one put)
//   1. Make the object's folder durable: the first time this writer puts into a folder, walk from the root down to
//      it, creating missing folders and fsyncing the parent of each folder on the way (the first time, also every
//      folder above the root, up to the file system root), whether this writer created the folder or found it. A folder found existing may have been created by a
//      process that crashed before syncing its parent, so its existence alone proves nothing. Folders done once
//      are remembered (per writer), so later puts pay nothing.
//   2. Write every byte to a new temp file <dir>/.slatedb-tmp-<random> (a name listings skip), stamp its metadata
//      attribute (etag, put id), fsync it, close it. Large objects are written with direct I/O where the file system
//      allows it (DirectFileWriter); the fsync is the same either way.
//   3. Publish it under the final name:
//        Overwrite  rename(tmp, final) under the folder lock          (atomic replace)
//        Create     link(tmp, final), then unlink(tmp)                (atomic; EEXIST if the name exists)
//        Update     under the folder lock: read the final file's etag, compare, rename(tmp, final)
//   4. fsync the folder, making the new name durable.
//   Any failure removes the temp file; the final name is untouched.
//
// Durability argument
//   After step 4 returns, the directory entry and the file it names are both on disk: the file's data and
//   attribute were synced before the name existed (2), and the name was synced after (4). A crash before 4 leaves
//   either the old object or the new one (rename and link are atomic), never a partial file under the final name;
//   a crash between 2 and 3 can leave a temp file, which listings ignore.
//
// Concurrency argument
//   Create is decided by the kernel: link(2) fails with EEXIST when the name exists, atomically with respect to
//   every other link, rename and unlink of that name, in this process or any other. Update, Overwrite and Delete
//   take the folder lock (DirectoryLocks), so an Update's compare and its rename are one step with respect to all
//   of them; a Create racing an Update cannot land in between because the Update's object exists throughout.
//   Off Linux, Create falls back to File.Move without overwrite, which .NET also implements with link(2) where the
//   file system allows it.

/// <summary>Writes local-file objects with the temp-file, fsync, rename-or-link, fsync-folder protocol.</summary>
internal sealed class AtomicFileWriter
{
    /// <summary>The prefix of temp file names.</summary>
    public const string TempPrefix = LocalFileSystemObjectStore.ReservedPrefix + "tmp-";

    private readonly string _root;
    private readonly string _storeUri;
    private readonly LocalObjectMetadata _metadata;
    private readonly Action<string> _syncDirectory;
    private readonly Action<SafeFileHandle, string> _syncFile;

    /// <summary>The folders (the root included) whose entry in their parent this writer has made durable.</summary>
    private readonly ConcurrentDictionary<string, bool> _durableFolders = new(StringComparer.Ordinal);

    /// <param name="root">The store's root folder.</param>
    /// <param name="storeUri">The store's URI, for errors.</param>
    /// <param name="metadata">Reads and stamps etags and put ids.</param>
    /// <param name="syncDirectory">Makes a folder's entries durable (fsync of the folder).</param>
    /// <param name="syncFile">Makes an open file (at the given path) durable, data and attributes (<see cref="FsyncFile"/>).</param>
    /// <param name="rootSynced">Whether the root's entry in its parent is known durable (the caller just created and synced it).</param>
    public AtomicFileWriter(string root, string storeUri, LocalObjectMetadata metadata, Action<string> syncDirectory, Action<SafeFileHandle, string> syncFile, bool rootSynced)
    {
        _root = root;
        _storeUri = storeUri;
        _metadata = metadata;
        _syncDirectory = syncDirectory;
        _syncFile = syncFile;
        if (rootSynced)
        {
            _durableFolders[root] = true;
        }
    }

    /// <summary>fsync of an open file: its data and attributes (the path is not needed).</summary>
    public static void FsyncFile(SafeFileHandle file, string path) => RandomAccess.FlushToDisk(file);

    /// <summary>Writes <paramref name="data"/> as the object <paramref name="objectPath"/> stored at <paramref name="fullPath"/>.</summary>
    public async Task<ObjectMeta> WriteAsync(string objectPath, string fullPath, ReadOnlyMemory<byte> data, PutMode mode, string? putId, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(fullPath)!;
        EnsureDirectory(objectPath, directory);
        var tempPath = Path.Combine(directory, TempPrefix + RandomSuffix());
        var tempRenamed = false;
        try
        {
            var meta = WriteTempFile(tempPath, objectPath, data.Span, putId);
            cancellationToken.ThrowIfCancellationRequested();
            switch (mode.Kind)
            {
                case PutModeKind.Create:
                    Link(objectPath, tempPath, fullPath);
                    break;
                case PutModeKind.Overwrite:
                    using (await DirectoryLocks.AcquireAsync(directory, cancellationToken).ConfigureAwait(false))
                    {
                        ReplaceWith(objectPath, tempPath, fullPath);
                    }

                    break;
                case PutModeKind.Update:
                    using (await DirectoryLocks.AcquireAsync(directory, cancellationToken).ConfigureAwait(false))
                    {
                        CheckETag(objectPath, fullPath, mode.ETag!);
                        ReplaceWith(objectPath, tempPath, fullPath);
                    }

                    break;
            }

            tempRenamed = mode.Kind != PutModeKind.Create;
            _syncDirectory(directory);
            return meta;
        }
        finally
        {
            if (!tempRenamed)
            {
                DeleteQuietly(tempPath);
            }
        }
    }

    private ObjectMeta WriteTempFile(string tempPath, string objectPath, ReadOnlySpan<byte> data, string? putId)
    {
        using var file = data.Length >= DirectFileWriter.MinBytes && DirectFileWriter.TryCreate(tempPath) is { } direct
            ? WriteDirect(direct, tempPath, data)
            : WriteBuffered(tempPath, data);
        var meta = _metadata.Stamp(file, objectPath, data.Length, putId);
        _syncFile(file, tempPath);
        return meta;
    }

    private static SafeFileHandle WriteBuffered(string tempPath, ReadOnlySpan<byte> data)
    {
        var file = File.OpenHandle(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationSize: data.Length);
        try
        {
            RandomAccess.Write(file, data, fileOffset: 0);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    // A file system may accept O_DIRECT at open and refuse the write (EINVAL); then this process writes buffered.
    private static SafeFileHandle WriteDirect(SafeFileHandle file, string tempPath, ReadOnlySpan<byte> data)
    {
        try
        {
            DirectFileWriter.Write(file, data);
            return file;
        }
        catch (IOException)
        {
            file.Dispose();
            DirectFileWriter.Disable();
            File.Delete(tempPath);
            return WriteBuffered(tempPath, data);
        }
    }

    private void Link(string objectPath, string tempPath, string fullPath)
    {
        if (PosixSync.IsLinux)
        {
            var errno = PosixSync.TryLink(tempPath, fullPath);
            if (errno == PosixSync.EEXIST)
            {
                throw Directory.Exists(fullPath) ? FolderInTheWay(objectPath) : new ObjectAlreadyExistsException(objectPath, _storeUri);
            }

            if (errno != 0)
            {
                throw new IOException($"Cannot link '{fullPath}' to its temp file (errno {errno}).");
            }

            // The temp name goes; the object keeps the inode. (The finally block unlinks it.)
            return;
        }

        try
        {
            File.Move(tempPath, fullPath, overwrite: false);
        }
        catch (IOException ex) when (File.Exists(fullPath))
        {
            throw new ObjectAlreadyExistsException(objectPath, _storeUri, ex);
        }
    }

    private void ReplaceWith(string objectPath, string tempPath, string fullPath)
    {
        if (Directory.Exists(fullPath))
        {
            throw FolderInTheWay(objectPath);
        }

        File.Move(tempPath, fullPath, overwrite: true);
    }

    private void CheckETag(string objectPath, string fullPath, string expectedETag)
    {
        ObjectMeta current;
        try
        {
            using var file = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            current = _metadata.Read(file, objectPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new PreconditionFailedException(objectPath, _storeUri, expectedETag, ex);
        }

        if (!string.Equals(current.ETag, expectedETag, StringComparison.Ordinal))
        {
            throw new PreconditionFailedException(objectPath, _storeUri, expectedETag);
        }
    }

    /// <summary>
    /// Makes <paramref name="directory"/> exist durably: creates the missing folders between the root and it, and,
    /// once per folder, syncs the parent of the root and of every folder on the way (see step 1 above).
    /// </summary>
    private void EnsureDirectory(string objectPath, string directory)
    {
        if (_durableFolders.ContainsKey(directory) && Directory.Exists(directory))
        {
            return;
        }

        if (!_durableFolders.ContainsKey(_root))
        {
            SyncAncestors(_root, _syncDirectory);
            _durableFolders[_root] = true;
        }

        var current = _root;
        var segments = objectPath.Split('/');
        for (var i = 0; i < segments.Length - 1; i++)
        {
            var next = Path.Combine(current, segments[i]);
            if (!Directory.Exists(next))
            {
                if (File.Exists(next))
                {
                    throw new ObjectStoreException(
                        objectPath,
                        _storeUri,
                        $"Cannot store the object: '{string.Join('/', segments[..(i + 1)])}' is an object, so it cannot also be a folder of objects on a local file system",
                        isTransient: false);
                }

                Directory.CreateDirectory(next);
                _syncDirectory(current);
            }
            else if (!_durableFolders.ContainsKey(next))
            {
                _syncDirectory(current);
            }

            _durableFolders[next] = true;
            current = next;
        }
    }

    /// <summary>
    /// Makes the chain of names leading to <paramref name="folder"/> durable: syncs its parent, the parent's parent
    /// and so on up to the file system root. Any of them may have been created by a process that crashed before
    /// syncing the folder above it, so a folder's existence proves nothing about its durability. A failure to sync
    /// the parent propagates; above that, syncing stops at the first folder that cannot be opened (one this user
    /// cannot read, which a crashed writer of this store did not create either).
    /// </summary>
    public static void SyncAncestors(string folder, Action<string> syncDirectory)
    {
        for (var child = folder; Path.GetDirectoryName(child) is { } parent; child = parent)
        {
            try
            {
                syncDirectory(parent);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && child != folder)
            {
                return;
            }
        }
    }

    private ObjectStoreException FolderInTheWay(string objectPath) => new(
        objectPath,
        _storeUri,
        "Cannot store the object: its path is a folder of other objects on the local file system",
        isTransient: false);

    /// <summary>Removes a temp file; a failure here must not hide the failure that led here (an orphan is ignored by listings).</summary>
    private static void DeleteQuietly(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string RandomSuffix()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
