namespace SlateDb.Testing.Simulation.Dst;

/// <summary>How long a simulation run is and which faults it injects.</summary>
public sealed record DstOptions
{
    /// <summary>Steps per run (actor actions; each is followed by the invariant checks).</summary>
    public int Steps { get; init; } = 120;

    /// <summary>Inject the store toxics (latency, transient failures before and after the call, torn listings).</summary>
    public bool Toxics { get; init; } = true;

    /// <summary>Keep every trace line (the determinism test compares them); otherwise only the last few.</summary>
    public bool KeepTrace { get; init; }
}
