namespace SlateDb.ObjectStore;

/// <summary>What an <see cref="ObjectStoreToxic"/> does to a call it strikes.</summary>
public enum ToxicKind
{
    /// <summary>Delays the call by up to <see cref="ObjectStoreToxic.MaxLatency"/> before it reaches the store.</summary>
    Latency,

    /// <summary>Fails the call with a transient error before it reaches the store (nothing happened).</summary>
    FailBefore,

    /// <summary>Lets the call take effect, then fails it with a transient error (the reply was lost).</summary>
    FailAfter,

    /// <summary>Ends a listing with a transient error after it yielded between zero and three items.</summary>
    TornListing,
}
