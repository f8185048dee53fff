using SlateDb.ObjectStore;

namespace SlateDb.Testing.Simulation.Dst;

/// <summary>How long a simulation run is and which faults it injects.</summary>
public sealed record DstOptions
{
    /// <summary>Steps per run (actor actions; each is followed by the invariant checks).</summary>
    public int Steps { get; init; } = 120;

    /// <summary>Inject the store toxics (latency, transient failures before and after the call, torn listings).</summary>
    public bool Toxics { get; init; } = true;

    /// <summary>Run on a <see cref="LocalFileSystemObjectStore"/> in a temporary folder instead of in memory.</summary>
    public bool LocalFiles { get; init; }

    /// <summary>Keep the WAL in a separate store (another prefix of the same backing store, with its own URI).</summary>
    public bool SeparateWalStore { get; init; }

    /// <summary>
    /// Wraps the run's store under every session (for tests that prove the checks catch a store that loses
    /// data); none when null.
    /// </summary>
    public Func<IObjectStore, IObjectStore>? WrapStore { get; init; }

    /// <summary>Keep every trace line (the determinism test compares them); otherwise only the last few.</summary>
    public bool KeepTrace { get; init; }
}
