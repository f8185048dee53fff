namespace SlateDb;

/// <summary>Which writes a read may see.</summary>
public enum DurabilityLevel
{
    /// <summary>Every applied write, including writes not yet stored in the object store (read-your-writes).</summary>
    Memory = 0,

    /// <summary>Only writes already stored in the object store (they survive a crash of this process).</summary>
    Remote = 1,
}
