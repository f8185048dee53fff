namespace SlateDb.Testing.Simulation.Dst;

/// <summary>What simulation runs did, added up across runs (thread-safe).</summary>
public sealed class DstTotals
{
    private long _runs;
    private long _crashes;
    private long _writesVerified;
    private long _lost;
    private long _fences;
    private long _toxicStrikes;

    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Simulated process crashes (every in-memory object abandoned, its store calls failing).</summary>
    public long Crashes => Interlocked.Read(ref _crashes);

    /// <summary>Acknowledged writes whose effect a later full comparison against the model confirmed.</summary>
    public long WritesVerified => Interlocked.Read(ref _writesVerified);

    /// <summary>Runs that found an acknowledged durable write missing or a deleted value back.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Writers replaced by a newer writer (the fencer).</summary>
    public long Fences => Interlocked.Read(ref _fences);

    /// <summary>Store calls a toxic struck (latency, failures, torn listings).</summary>
    public long ToxicStrikes => Interlocked.Read(ref _toxicStrikes);

    public void Add(DstResult result)
    {
        Interlocked.Increment(ref _runs);
        Interlocked.Add(ref _crashes, result.Crashes);
        Interlocked.Add(ref _writesVerified, result.WritesVerified);
        Interlocked.Add(ref _fences, result.Fences);
        Interlocked.Add(ref _toxicStrikes, result.ToxicStrikes);
    }

    /// <summary>Counts a run that failed; <paramref name="lostData"/> when it broke a durability promise.</summary>
    public void AddFailure(bool lostData)
    {
        Interlocked.Increment(ref _runs);
        if (lostData)
        {
            Interlocked.Increment(ref _lost);
        }
    }

    /// <summary>The summary line: <c>runs N, crashes injected N, writes verified N, lost N</c>.</summary>
    public string SummaryLine() => $"runs {Runs}, crashes injected {Crashes}, writes verified {WritesVerified}, lost {Lost}";
}

/// <summary>The outcome of one run that passed.</summary>
public sealed record DstResult(int Seed, string TraceHash, int Steps, long Crashes, long WritesVerified, long Fences, long ToxicStrikes, IReadOnlyList<string> Trace);

/// <summary>A simulation run broke an invariant; the message names the seed, the step and how to replay it.</summary>
public sealed class DstFailedException(int seed, bool lostData, string message, Exception? inner) : Exception(message, inner)
{
    public int Seed { get; } = seed;

    /// <summary>Whether the failure is a durability violation (an acknowledged durable write lost or undone).</summary>
    public bool LostData { get; } = lostData;
}
