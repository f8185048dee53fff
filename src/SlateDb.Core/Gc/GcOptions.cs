namespace SlateDb;

/// <summary>How one garbage collection run decides what to delete.</summary>
public sealed class GcOptions
{
    /// <summary>The default <see cref="MinAge"/>: five minutes.</summary>
    public static readonly TimeSpan DefaultMinAge = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Nothing younger than this is deleted: no object whose last-modified time is within it, no compacted SST whose
    /// ULID time is within it, and no manifest (nor any SST it references) that was the latest manifest within it.
    /// Default five minutes; must not be negative.
    /// </summary>
    /// <remarks>
    /// <para>
    /// MinAge is what protects other processes. The collector sees what the manifests and checkpoints reference and
    /// what the open scans of its own process hold (a collector running inside a database pins that database's open
    /// iterators), but not the reads of another process: a reader working from a manifest that stopped being the latest
    /// less than MinAge ago keeps every SST of it, so a scan or read elsewhere is safe while it lasts less than MinAge
    /// minus that reader's manifest poll interval. A longer-lived reader in another process should hold a checkpoint.
    /// </para>
    /// <para>
    /// MinAge also covers uploads not yet published (an SST written moments before the manifest that lists it) and
    /// clock skew between processes; keep it well above both.
    /// </para>
    /// </remarks>
    public TimeSpan MinAge { get; init; } = DefaultMinAge;

    /// <summary>When true, nothing is deleted or written: the run only reports what it would delete. Default false.</summary>
    public bool DryRun { get; init; }
}
