using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

/// <summary>
/// Mutual exclusion per folder, within the process and across processes, for the local-file writes that must
/// read-then-replace atomically (compare-and-swap, overwrite, delete).
/// </summary>
/// <remarks>
/// <para>
/// Two layers: a striped <see cref="SemaphoreSlim"/> (process-wide, shared by every store instance) so that writers
/// in one process queue instead of polling, then an exclusive lock on the folder's <c>.slatedb-lock</c> file, which
/// .NET takes with <c>flock(LOCK_EX | LOCK_NB)</c> when a file is opened with <see cref="FileShare.None"/>. The file
/// lock is polled every millisecond until it is free; the kernel drops it when its holder exits, so a crashed
/// process never leaves it held. The lock file is never deleted (deleting a file others may be locking breaks
/// flock exclusion), so each folder holds at most one.
/// </para>
/// <para>
/// Create-if-absent does not need this lock: <c>link(2)</c> fails atomically when the name exists. Reads never lock:
/// every write publishes a complete new file with one rename or link.
/// </para>
/// </remarks>
internal static class DirectoryLocks
{
    /// <summary>The lock file's name in each folder; hidden from listings by the reserved prefix.</summary>
    public const string LockFileName = LocalFileSystemObjectStore.ReservedPrefix + "lock";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);
    private static readonly SemaphoreSlim[] Stripes = CreateStripes(64);

    /// <summary>Takes the lock of <paramref name="directory"/> (which must exist); dispose the result to release it.</summary>
    /// <exception cref="TimeoutException">Another process held the lock for longer than a minute.</exception>
    public static async Task<Held> AcquireAsync(string directory, CancellationToken cancellationToken)
    {
        var stripe = Stripes[(uint)StringComparer.Ordinal.GetHashCode(directory) % (uint)Stripes.Length];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var lockPath = Path.Combine(directory, LockFileName);
            var started = TimeProvider.System.GetTimestamp();
            while (true)
            {
                try
                {
                    var handle = File.OpenHandle(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    return new Held(stripe, handle);
                }
                catch (IOException ex) when (IsLockedByOther(ex))
                {
                    if (TimeProvider.System.GetElapsedTime(started) > GiveUpAfter)
                    {
                        throw new TimeoutException($"The lock file '{lockPath}' stayed locked by another process for {GiveUpAfter.TotalSeconds:0} s.", ex);
                    }

                    await Task.Delay(PollInterval, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            stripe.Release();
            throw;
        }
    }

    /// <summary>
    /// Whether opening the lock file failed because another open file description holds the lock: .NET reports
    /// flock's EWOULDBLOCK as an <see cref="IOException"/> carrying the errno (11 on Linux, 35 on macOS and BSDs),
    /// and Windows' sharing and lock violations by their HRESULTs.
    /// </summary>
    private static bool IsLockedByOther(IOException ex)
        => ex.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    private static SemaphoreSlim[] CreateStripes(int count)
    {
        var stripes = new SemaphoreSlim[count];
        for (var i = 0; i < count; i++)
        {
            stripes[i] = new SemaphoreSlim(1, 1);
        }

        return stripes;
    }

    /// <summary>A held folder lock.</summary>
    internal sealed class Held : IDisposable
    {
        private SemaphoreSlim? _stripe;
        private readonly SafeFileHandle _file;

        public Held(SemaphoreSlim stripe, SafeFileHandle file)
        {
            _stripe = stripe;
            _file = file;
        }

        public void Dispose()
        {
            var stripe = Interlocked.Exchange(ref _stripe, null);
            if (stripe is not null)
            {
                _file.Dispose();
                stripe.Release();
            }
        }
    }
}
