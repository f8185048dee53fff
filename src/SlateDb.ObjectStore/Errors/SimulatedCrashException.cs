namespace SlateDb.ObjectStore;

/// <summary>
/// Thrown by <see cref="FaultInjectingObjectStore"/> for the call at which it simulates a process crash and for every
/// call after it. It is permanent: nothing after a crash reaches the store.
/// </summary>
public sealed class SimulatedCrashException : ObjectStoreException
{
    /// <summary>Creates the exception for call number <paramref name="callNumber"/> on <paramref name="path"/>.</summary>
    public SimulatedCrashException(string path, string storeUri, long callNumber)
        : base(path, storeUri, $"Simulated crash (store call {callNumber})", isTransient: false)
    {
        CallNumber = callNumber;
    }

    /// <summary>The 1-based number of the store call that observed the crash.</summary>
    public long CallNumber { get; }
}
