using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

// Large objects are written to their temp file with O_DIRECT on Linux: the kernel moves the bytes from our buffer to
// the device instead of copying them into the page cache first, which on a buffered write costs about as much CPU
// per byte as building the object did. Durability is unchanged: the caller still fsyncs the file (data, size and
// attribute) before publishing its name, exactly as for a buffered write.
//
// O_DIRECT wants the buffer address, the file offset and the length aligned to the device's logical block size. The
// bytes are copied, a chunk at a time, into a 4 KiB-aligned native buffer (a memory copy, far cheaper than the
// kernel's page-cache copy); the last chunk is zero-padded to 4 KiB and the file is then cut back to the object's
// length. A file system that refuses O_DIRECT (tmpfs, some FUSE and network file systems) fails the open with
// EINVAL, and the caller falls back to a buffered write.

/// <summary>Writes whole files with direct I/O where the platform and file system allow it.</summary>
internal static class DirectFileWriter
{
    /// <summary>Objects at least this large are written directly.</summary>
    public const int MinBytes = 256 * 1024;

    /// <summary>Alignment of buffers, offsets and lengths (covers 512-byte and 4 KiB logical blocks).</summary>
    public const int Alignment = 4096;

    private const int ChunkBytes = 4 * 1024 * 1024;
    private const int MaxPooledBuffers = 4;
    private const int OWrOnly = 0x1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int OCloExec = 0x80000;
    private const int EINVAL = 22;
    private const int FileMode0644 = 0x1A4;

    private static readonly ConcurrentBag<nint> s_buffers = [];

    // O_DIRECT differs between architectures; 0 where it is not known (direct writes are then not attempted).
    private static readonly int s_oDirect = !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    private static volatile bool s_unsupported;

    /// <summary>
    /// Creates <paramref name="path"/> (which must not exist) for direct writes; null when direct I/O is not available
    /// here, in which case nothing was created.
    /// </summary>
    /// <exception cref="IOException">The file could not be created for another reason (errno in the message).</exception>
    public static SafeFileHandle? TryCreate(string path)
    {
        if (s_oDirect == 0 || s_unsupported)
        {
            return null;
        }

        var fd = PosixSync.OpenWithMode(path, OWrOnly | OCreat | OExcl | OCloExec | s_oDirect, FileMode0644);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == EINVAL)
        {
            return null;
        }

        throw new IOException($"Cannot create '{path}' (errno {errno}).");
    }

    /// <summary>Writes <paramref name="data"/> at offset 0 of a file from <see cref="TryCreate"/>; the file ends up exactly that long.</summary>
    public static unsafe void Write(SafeFileHandle file, ReadOnlySpan<byte> data)
    {
        var buffer = Rent();
        try
        {
            var chunk = new Span<byte>((void*)buffer, ChunkBytes);
            for (var offset = 0; offset < data.Length; offset += ChunkBytes)
            {
                var length = Math.Min(ChunkBytes, data.Length - offset);
                data.Slice(offset, length).CopyTo(chunk);
                var padded = (length + Alignment - 1) & ~(Alignment - 1);
                chunk[length..padded].Clear();
                RandomAccess.Write(file, chunk[..padded], offset);
            }

            if (data.Length % Alignment != 0)
            {
                RandomAccess.SetLength(file, data.Length);
            }
        }
        finally
        {
            Return(buffer);
        }
    }

    /// <summary>Stops attempting direct writes in this process (after the file system refused one mid-way).</summary>
    public static void Disable() => s_unsupported = true;

    private static unsafe nint Rent()
        => s_buffers.TryTake(out var buffer) ? buffer : (nint)NativeMemory.AlignedAlloc(ChunkBytes, Alignment);

    private static unsafe void Return(nint buffer)
    {
        if (s_buffers.Count < MaxPooledBuffers)
        {
            s_buffers.Add(buffer);
        }
        else
        {
            NativeMemory.AlignedFree((void*)buffer);
        }
    }
}
