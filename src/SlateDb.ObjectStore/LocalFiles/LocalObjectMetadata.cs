using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

/// <summary>
/// The etag and put id of local-file objects, kept in one extended attribute (<c>user.slatedb.meta</c>) of the file.
/// </summary>
/// <remarks>
/// <para>
/// Why an attribute: every write creates a new file (a new inode) that is renamed or linked into place, and the
/// attribute is set on that file before it becomes visible, so an object and its metadata appear together,
/// atomically, and survive a crash together (the file's fsync covers its attributes). The etag is 128 random bits
/// drawn for each write, so it changes on every write even when two writes of the same size land within one
/// timestamp tick or reuse a freed inode number — cases in which an etag derived from inode, size and mtime
/// would repeat and let a stale compare-and-swap succeed.
/// </para>
/// <para>
/// The attribute's value is the 32 hex digits of the etag followed by the put id's UTF-8 bytes (none when absent).
/// A file without the attribute (written by another program) or a file system without user attributes gets an
/// etag derived from size and modification time and no put id; on such a file system a retried create cannot
/// recognise its own write and same-tick same-size writes share an etag.
/// </para>
/// </remarks>
internal sealed class LocalObjectMetadata
{
    /// <summary>The longest put id, in UTF-8 bytes, the attribute holds (file systems cap attribute sizes).</summary>
    public const int MaxPutIdBytes = 1024;

    /// <summary>The extended attribute holding the etag and put id.</summary>
    internal const string AttributeName = "user.slatedb.meta";
    private const int ETagLength = 32;
    private const int BufferSize = ETagLength + MaxPutIdBytes;

    private volatile bool _useAttributes;

    /// <summary>Creates the codec; attributes are used on Linux unless <paramref name="useAttributes"/> is false.</summary>
    public LocalObjectMetadata(bool useAttributes)
    {
        _useAttributes = useAttributes && PosixSync.IsLinux;
    }

    /// <summary>Whether etags and put ids live in extended attributes (false once the file system refused them).</summary>
    public bool UsesAttributes => _useAttributes;

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="putId"/> cannot be stored.</summary>
    public static void ValidatePutId(string? putId)
    {
        if (putId is not null && (putId.Length == 0 || Encoding.UTF8.GetByteCount(putId) > MaxPutIdBytes))
        {
            throw new ArgumentException($"A put id must be 1 to {MaxPutIdBytes} UTF-8 bytes long; got {Encoding.UTF8.GetByteCount(putId)} bytes.", nameof(putId));
        }
    }

    /// <summary>
    /// Stamps a fresh etag and <paramref name="putId"/> onto the not yet published file and returns its metadata
    /// as it will read once published under <paramref name="objectPath"/>.
    /// </summary>
    public ObjectMeta Stamp(SafeFileHandle file, string objectPath, long size, string? putId)
    {
        if (_useAttributes)
        {
            Span<byte> random = stackalloc byte[ETagLength / 2];
            RandomNumberGenerator.Fill(random);
            var etag = Convert.ToHexStringLower(random);
            var value = Encoding.UTF8.GetBytes(etag + putId);
            var errno = PosixSync.SetAttribute(file, AttributeName, value);
            if (errno == 0)
            {
                return new ObjectMeta(objectPath, size, LastModified(file), etag) { PutId = putId };
            }

            if (errno != PosixSync.ENOTSUP)
            {
                throw new IOException($"Cannot set the metadata attribute of a new file for '{objectPath}' (errno {errno}).");
            }

            _useAttributes = false;
        }

        return FromTimestamp(objectPath, size, LastModified(file), putId: null);
    }

    /// <summary>Reads the metadata of the open, published file of <paramref name="objectPath"/>.</summary>
    public ObjectMeta Read(SafeFileHandle file, string objectPath)
        => Read(file, objectPath, RandomAccess.GetLength(file), LastModified(file));

    /// <summary>Reads the metadata of the open, published file of <paramref name="objectPath"/> whose size and modification time are known.</summary>
    public ObjectMeta Read(SafeFileHandle file, string objectPath, long size, DateTimeOffset modified)
    {
        if (!_useAttributes)
        {
            return FromTimestamp(objectPath, size, modified, null);
        }

        Span<byte> buffer = stackalloc byte[BufferSize];
        var errno = PosixSync.GetAttribute(file, AttributeName, buffer, out var length);
        return Decode(objectPath, size, modified, errno, buffer[..length]);
    }

    /// <summary>Reads the metadata of the file <paramref name="info"/> found by a listing; null if it vanished meanwhile.</summary>
    public ObjectMeta? Read(FileInfo info, string objectPath)
    {
        var modified = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
        if (!_useAttributes)
        {
            return FromTimestamp(objectPath, info.Length, modified, null);
        }

        Span<byte> buffer = stackalloc byte[BufferSize];
        var errno = PosixSync.GetAttribute(info.FullName, AttributeName, buffer, out var length);
        return errno == PosixSync.ENOENT ? null : Decode(objectPath, info.Length, modified, errno, buffer[..length]);
    }

    private static ObjectMeta Decode(string objectPath, long size, DateTimeOffset modified, int errno, ReadOnlySpan<byte> value)
    {
        if (errno != 0 || value.Length < ETagLength)
        {
            // No attribute (a file another program wrote) or a file system that lost it: fall back.
            return FromTimestamp(objectPath, size, modified, null);
        }

        var etag = Encoding.UTF8.GetString(value[..ETagLength]);
        var putId = value.Length > ETagLength ? Encoding.UTF8.GetString(value[ETagLength..]) : null;
        return new ObjectMeta(objectPath, size, modified, etag) { PutId = putId };
    }

    private static ObjectMeta FromTimestamp(string objectPath, long size, DateTimeOffset modified, string? putId)
    {
        var etag = string.Create(CultureInfo.InvariantCulture, $"m{modified.UtcTicks:x}-{size:x}");
        return new ObjectMeta(objectPath, size, modified, etag) { PutId = putId };
    }

    private static DateTimeOffset LastModified(SafeFileHandle file)
        => new(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
}
