namespace SlateDb.ObjectStore;

/// <summary>
/// Which file a path names and the state of its bytes: device and inode number, size, modification time.
/// </summary>
/// <remarks>
/// While a handle to a file is open its inode number cannot be reused, so a path whose identity equals the one
/// recorded for an open handle names that very file; the size and time also tell a change in place apart.
/// </remarks>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, long ModifiedSeconds, uint ModifiedNanoseconds)
{
    /// <summary>The modification time as .NET reports it (100 ns ticks).</summary>
    public DateTimeOffset LastModified => DateTimeOffset.FromUnixTimeSeconds(ModifiedSeconds).AddTicks(ModifiedNanoseconds / 100);
}
