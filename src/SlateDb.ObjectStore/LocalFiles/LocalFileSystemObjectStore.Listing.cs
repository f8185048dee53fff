using System.Runtime.CompilerServices;

namespace SlateDb.ObjectStore;

/// <summary>Listing: a lazy, ordered walk of the folder tree.</summary>
public sealed partial class LocalFileSystemObjectStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Walks the folders depth-first, reading one folder at a time. Within a folder the entries are sorted by the
    /// path they contribute — a file by its path, a folder by its path plus <c>/</c> — which yields every object path
    /// in ordinal order: "a-b" &lt; "a/…" &lt; "a0" even though the folder "a" sorts before both by name. Folders
    /// that hold only paths at or before <paramref name="startAfter"/> are never opened.
    /// </remarks>
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePrefix(prefix);
        var slash = prefix.LastIndexOf('/');
        var baseFolder = prefix[..(slash + 1)];      // "" or ends with '/'
        var namePrefix = prefix[(slash + 1)..];      // what names directly in the base folder must start with

        var pending = new Stack<Queue<Entry>>();
        pending.Push(ReadFolder(baseFolder, namePrefix, startAfter));
        while (pending.Count > 0)
        {
            var folder = pending.Peek();
            if (folder.Count == 0)
            {
                pending.Pop();
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var entry = folder.Dequeue();
            if (entry.File is null)
            {
                pending.Push(ReadFolder(entry.Path, namePrefix: "", startAfter));
                continue;
            }

            if (ReadListed(entry) is { } meta)
            {
                yield return meta;
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// The entries of the folder holding paths that start with <paramref name="folder"/> ("" or ending in '/'), in
    /// path order: files whose path is after <paramref name="startAfter"/>, and folders (path with a trailing '/')
    /// that may hold such paths.
    /// </summary>
    private Queue<Entry> ReadFolder(string folder, string namePrefix, string? startAfter)
    {
        var entries = new List<Entry>();
        var directory = new DirectoryInfo(folder.Length == 0 ? _root : Path.Join(_root, folder));
        try
        {
            foreach (var info in directory.EnumerateFileSystemInfos())
            {
                var name = info.Name;
                if (name.StartsWith(ReservedPrefix, StringComparison.Ordinal) || !name.StartsWith(namePrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (info is FileInfo file)
                {
                    var path = folder + name;
                    if (startAfter is null || string.CompareOrdinal(path, startAfter) > 0)
                    {
                        entries.Add(new Entry(path, file));
                    }
                }
                else
                {
                    // Every path inside starts with this one; skip the folder when all of them are <= startAfter.
                    var path = folder + name + "/";
                    if (startAfter is null || string.CompareOrdinal(path, startAfter) > 0 || startAfter.StartsWith(path, StringComparison.Ordinal))
                    {
                        entries.Add(new Entry(path, null));
                    }
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // No such folder (or it is a file): nothing under this prefix.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException(folder, Uri, $"Cannot list the folder: {ex.Message}", isTransient: false, ex);
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new Queue<Entry>(entries);
    }

    /// <summary>The metadata of a listed file; null when it was deleted after its folder was read.</summary>
    private ObjectMeta? ReadListed(Entry entry)
    {
        try
        {
            return _metadata.Read(entry.File!, entry.Path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException(entry.Path, Uri, $"Cannot read the file's metadata: {ex.Message}", isTransient: false, ex);
        }
    }

    /// <summary>A file (with its object path) or a folder (path ending in '/', no file) met by a listing.</summary>
    private readonly record struct Entry(string Path, FileInfo? File);
}
