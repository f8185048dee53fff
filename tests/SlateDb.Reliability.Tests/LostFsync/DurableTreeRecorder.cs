using System.Text;
using Microsoft.Win32.SafeHandles;
using SlateDb.ObjectStore;

namespace SlateDb.Reliability.Tests.LostFsync;

/// <summary>
/// Tracks what of a folder tree a power loss would keep, judged only by the fsyncs made, and at a simulated crash
/// rewrites the tree to exactly that: every file and folder entry not made durable is dropped.
/// </summary>
/// <remarks>
/// <para>
/// The model is the strict POSIX one that a correct program must assume. A folder's entries (creates, renames,
/// links, unlinks) become durable only when the folder itself is fsynced: each <see cref="SyncDirectory"/> records
/// the folder's listing at that moment, and a folder never synced since the start keeps no entries. A file's data
/// and attributes become durable only when the file is fsynced: each <see cref="SyncFile"/> keeps a hard link to the
/// inode in a vault (local-store files are never changed after their fsync: each put writes a new file), keyed by
/// the file's metadata attribute, whose random etag is unique per written file. A durable entry whose file was never
/// fsynced comes back empty and without its attribute.
/// </para>
/// <para>
/// The base folder is durable and empty at the start. Crashing moves the real tree aside and rebuilds the durable
/// one at the same path (so store URIs do not change); names with the store's reserved prefix (temp and lock files)
/// are left out.
/// </para>
/// </remarks>
internal sealed class DurableTreeRecorder
{
    private readonly string _base;
    private readonly string _vault;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, string?>> _listings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _durableFiles = new(StringComparer.Ordinal);
    private long _vaultCount;
    private int _crashes;
    private bool _crashed;

    /// <param name="baseFolder">The folder whose tree is tracked; created if missing, it must be empty.</param>
    /// <param name="vault">A folder on the same file system, outside the tree, for the links to durable files.</param>
    public DurableTreeRecorder(string baseFolder, string vault)
    {
        _base = Path.TrimEndingDirectorySeparator(Path.GetFullPath(baseFolder));
        _vault = vault;
        Directory.CreateDirectory(_vault);
        Directory.CreateDirectory(_base);
        if (Directory.EnumerateFileSystemEntries(_base).Any())
        {
            throw new ArgumentException($"The tracked folder '{_base}' must start empty.", nameof(baseFolder));
        }

        _listings[_base] = new Dictionary<string, string?>(StringComparer.Ordinal);
    }

    /// <summary>How many folder fsyncs were recorded.</summary>
    public int DirectorySyncs { get; private set; }

    /// <summary>How many file fsyncs were recorded.</summary>
    public int FileSyncs { get; private set; }

    /// <summary>A local store under the tracked folder whose fsyncs are recorded here.</summary>
    public LocalFileSystemObjectStore OpenStore(string relativeRoot)
        => new(Path.Combine(_base, relativeRoot), useExtendedAttributes: true, SyncDirectory, SyncFile);

    /// <summary>fsyncs <paramref name="directory"/> and records its entries as durable.</summary>
    public void SyncDirectory(string directory)
    {
        PosixSync.FsyncDirectory(directory);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!full.StartsWith(_base, StringComparison.Ordinal))
        {
            return;   // above the tracked tree: the base itself is durable by assumption
        }

        lock (_gate)
        {
            if (_crashed)
            {
                return;
            }

            var listing = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos())
            {
                if (info.Name.StartsWith(LocalFileSystemObjectStore.ReservedPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                listing[info.Name] = info is DirectoryInfo ? null : Identity(info.FullName) ?? "";
            }

            _listings[full] = listing;
            DirectorySyncs++;
        }
    }

    /// <summary>fsyncs the open file at <paramref name="path"/> and records its current contents as durable.</summary>
    public void SyncFile(SafeFileHandle file, string path)
    {
        RandomAccess.FlushToDisk(file);
        lock (_gate)
        {
            if (_crashed || Identity(path) is not { } identity)
            {
                return;
            }

            var kept = Path.Combine(_vault, (++_vaultCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var errno = PosixSync.TryLink(path, kept);
            if (errno != 0)
            {
                throw new IOException($"Cannot keep a link to '{path}' in the vault (errno {errno}).");
            }

            _durableFiles[identity] = kept;
            FileSyncs++;
        }
    }

    /// <summary>
    /// The power goes out: later syncs count for nothing, and the tree is replaced by what was durable. Returns
    /// how many entries of the real tree did not survive (files and folders).
    /// </summary>
    public int Crash()
    {
        lock (_gate)
        {
            _crashed = true;
            var aside = _base + ".lost-" + (++_crashes).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Directory.Move(_base, aside);
            Rebuild(_base, _base);
            var before = Directory.EnumerateFileSystemEntries(aside, "*", SearchOption.AllDirectories).Count(p => !Path.GetFileName(p).StartsWith(LocalFileSystemObjectStore.ReservedPrefix, StringComparison.Ordinal));
            var after = Directory.EnumerateFileSystemEntries(_base, "*", SearchOption.AllDirectories).Count();
            Directory.Delete(aside, recursive: true);
            return before - after;
        }
    }

    /// <summary>Starts recording again on the rebuilt tree (the next process's lifetime).</summary>
    public void Restart()
    {
        lock (_gate)
        {
            _crashed = false;
        }
    }

    private void Rebuild(string original, string target)
    {
        Directory.CreateDirectory(target);
        if (!_listings.TryGetValue(original, out var listing))
        {
            return;   // never synced: none of its entries are durable
        }

        foreach (var (name, identity) in listing)
        {
            var path = Path.Combine(target, name);
            if (identity is null)
            {
                Rebuild(Path.Combine(original, name), path);
            }
            else if (_durableFiles.TryGetValue(identity, out var kept))
            {
                var errno = PosixSync.TryLink(kept, path);
                if (errno != 0)
                {
                    throw new IOException($"Cannot restore '{path}' from the vault (errno {errno}).");
                }
            }
            else
            {
                File.WriteAllBytes(path, []);   // the name was durable, its data never was
            }
        }
    }

    /// <summary>The file's metadata attribute (its etag is random per written file), or null when it has none.</summary>
    private static string? Identity(string path)
    {
        Span<byte> buffer = stackalloc byte[2048];
        return PosixSync.GetAttribute(path, LocalObjectMetadata.AttributeName, buffer, out var length) == 0
            ? Encoding.UTF8.GetString(buffer[..length])
            : null;
    }
}
