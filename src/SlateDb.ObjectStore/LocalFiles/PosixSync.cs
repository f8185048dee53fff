using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

/// <summary>
/// The few POSIX calls the local-file store needs that .NET does not expose: <c>link(2)</c> for an atomic
/// create-if-absent, <c>fsync(2)</c> of a directory, extended attributes for per-object metadata, and
/// <c>statx(2)</c> to tell whether a path still names a file held open.
/// </summary>
/// <remarks>
/// <c>link</c>, <c>statx</c> and the <c>*xattr</c> calls are used on Linux only (their errno values and, for xattrs, signatures
/// differ elsewhere). Directory fsync works on every Unix; on Windows it is a no-op, as NTFS journals renames.
/// </remarks>
internal static partial class PosixSync
{
    /// <summary>errno: no such file or directory.</summary>
    public const int ENOENT = 2;

    /// <summary>errno: file exists.</summary>
    public const int EEXIST = 17;

    /// <summary>errno (Linux): the operation (here: user xattrs) is not supported by the file system.</summary>
    public const int ENOTSUP = 95;

    /// <summary>errno: the call is not implemented (a kernel without <c>statx</c>, or a sandbox refusing it).</summary>
    public const int ENOSYS = 38;

    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000; // the same value on x86-64 and arm64 Linux

    /// <summary>Whether <see cref="TryLink"/> and the xattr calls are available.</summary>
    public static bool IsLinux { get; } = OperatingSystem.IsLinux();

    private static bool IsUnix { get; } = !OperatingSystem.IsWindows();

    /// <summary>Whether <see cref="TryIdentify(SafeFileHandle, out FileIdentity, out uint)"/> and its path form work here (Linux with a libc and kernel that have <c>statx</c>).</summary>
    public static bool HasStatx { get; } = IsLinux && ProbeStatx();

    /// <summary>Creates <paramref name="newPath"/> as a second name of <paramref name="existingPath"/>; fails with EEXIST if it exists.</summary>
    /// <returns>0 on success, else the errno.</returns>
    public static int TryLink(string existingPath, string newPath)
        => Link(existingPath, newPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Makes the entries of <paramref name="directory"/> (creations, renames) durable.</summary>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static void FsyncDirectory(string directory)
    {
        if (!IsUnix)
        {
            return;
        }

        var fd = Open(directory, ORdOnly | OCloExec);
        if (fd < 0)
        {
            throw new IOException($"Cannot open the folder '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"Cannot sync the folder '{directory}' (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>open(2) with a mode for a file it creates (Linux flag values); the fd, or -1 with the errno set.</summary>
    public static int OpenWithMode(string path, int flags, int mode) => Open(path, flags, mode);

    /// <summary>Sets the extended attribute <paramref name="name"/> of the open file.</summary>
    /// <returns>0 on success, else the errno.</returns>
    public static int SetAttribute(SafeFileHandle file, string name, ReadOnlySpan<byte> value)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            var fd = (int)file.DangerousGetHandle();
            return FSetXAttr(fd, name, value, (nuint)value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Reads the extended attribute <paramref name="name"/> of the open file into <paramref name="buffer"/>.</summary>
    /// <returns>0 on success (with the value's <paramref name="length"/>), else the errno (ENODATA: no such attribute).</returns>
    public static int GetAttribute(SafeFileHandle file, string name, Span<byte> buffer, out int length)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            var fd = (int)file.DangerousGetHandle();
            return Result(FGetXAttr(fd, name, buffer, (nuint)buffer.Length), out length);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Reads the extended attribute <paramref name="name"/> of the file at <paramref name="path"/>.</summary>
    /// <returns>0 on success (with the value's <paramref name="length"/>), else the errno.</returns>
    public static int GetAttribute(string path, string name, Span<byte> buffer, out int length)
        => Result(GetXAttr(path, name, buffer, (nuint)buffer.Length), out length);

    /// <summary>The identity, size and modification time of the open file, and its number of names (0 once unlinked).</summary>
    /// <returns>0 on success, else the errno (<see cref="ENOSYS"/> also when the file system does not report the fields).</returns>
    public static int TryIdentify(SafeFileHandle file, out FileIdentity identity, out uint links)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            var fd = (int)file.DangerousGetHandle();
            var errno = StatxResult(Statx(fd, "", AtEmptyPath, StatxFields, out var buffer), buffer, out identity);
            links = buffer.NLink;
            return errno;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>The identity, size and modification time of the file <paramref name="path"/> names (symbolic links followed, as by open).</summary>
    /// <returns>0 on success, else the errno (<see cref="ENOENT"/>: no such file).</returns>
    public static int TryIdentify(string path, out FileIdentity identity)
        => StatxResult(Statx(AtFdCwd, path, 0, StatxFields, out var buffer), buffer, out identity);

    private static int StatxResult(int returned, in StatxBuffer buffer, out FileIdentity identity)
    {
        if (returned != 0)
        {
            identity = default;
            return Marshal.GetLastPInvokeError();
        }

        identity = new FileIdentity(((ulong)buffer.DevMajor << 32) | buffer.DevMinor, buffer.Inode, (long)buffer.Size, buffer.ModifiedSeconds, buffer.ModifiedNanoseconds);
        return (buffer.Mask & StatxFields) == StatxFields ? 0 : ENOSYS;
    }

    private static bool ProbeStatx()
    {
        try
        {
            return TryIdentify("/", out _) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;   // a libc older than glibc 2.28
        }
    }

    private static int Result(nint returned, out int length)
    {
        if (returned < 0)
        {
            length = 0;
            return Marshal.GetLastPInvokeError();
        }

        length = (int)returned;
        return 0;
    }

    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxFields = 0x4 | 0x40 | 0x100 | 0x200;   // STATX_NLINK | STATX_MTIME | STATX_INO | STATX_SIZE

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FSetXAttr(int fd, string name, ReadOnlySpan<byte> value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "fgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint FGetXAttr(int fd, string name, Span<byte> value, nuint size);

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetXAttr(string path, string name, Span<byte> value, nuint size);

    /// <summary><c>struct statx</c>: a fixed layout, the same on every Linux architecture (256 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)]
        public uint Mask;

        [FieldOffset(16)]
        public uint NLink;

        [FieldOffset(32)]
        public ulong Inode;

        [FieldOffset(40)]
        public ulong Size;

        [FieldOffset(112)]
        public long ModifiedSeconds;

        [FieldOffset(120)]
        public uint ModifiedNanoseconds;

        [FieldOffset(136)]
        public uint DevMajor;

        [FieldOffset(140)]
        public uint DevMinor;
    }
}
