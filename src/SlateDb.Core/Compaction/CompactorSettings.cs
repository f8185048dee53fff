namespace SlateDb;

/// <summary>
/// How the compactor merges L0 SSTs and sorted runs (size-tiered). Used by the compactor that runs inside a
/// <see cref="Db"/> (<see cref="Settings.Compactor"/>; null disables it) and by a standalone <see cref="Compactor"/>.
/// A plain object with settable properties, so it binds from configuration (the <c>Compactor</c> section of the
/// database's settings).
/// </summary>
public sealed class CompactorSettings
{
    /// <summary>
    /// How often a standalone <see cref="Compactor"/> re-reads the manifest to look for work. Default 1 s. The
    /// compactor inside a <see cref="Db"/> makes no reads of its own while idle: it works from the manifest the
    /// database polls anyway and wakes whenever the database adds an L0 SST.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The number of L0 SSTs at which they are merged into a new sorted run. Default 4.</summary>
    public int L0CompactionThreshold { get; set; } = 4;

    /// <summary>The most L0 SSTs (the oldest ones) one compaction takes. Default 8.</summary>
    public int MaxL0SstsPerCompaction { get; set; } = 8;

    /// <summary>The number of sorted runs of similar size at which they are merged into one. Default 4.</summary>
    public int MinSortedRunsToMerge { get; set; } = 4;

    /// <summary>The most sorted runs one compaction merges. Default 8.</summary>
    public int MaxSortedRunsPerCompaction { get; set; } = 8;

    /// <summary>
    /// Runs are "of similar size" while each older run is at most this many times the size of the smallest one taken
    /// so far. Default 4.
    /// </summary>
    public double SizeRatio { get; set; } = 4.0;

    /// <summary>The size at which a compaction starts a new output SST (at a key boundary). Default 64 MiB.</summary>
    public long TargetSstSizeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How many key ranges of one compaction are merged in parallel. Default 2.</summary>
    public int MaxSubcompactions { get; set; } = 2;

    /// <summary>
    /// How many compactions may run at once (at most one of them takes L0 SSTs; the others merge disjoint sorted
    /// runs). Default 2.
    /// </summary>
    public int MaxConcurrentCompactions { get; set; } = 2;

    /// <summary>How many blocks one read of a compaction input fetches (inputs bypass the block cache). Default 64.</summary>
    public int ReadAheadBlocks { get; set; } = 64;

    /// <summary>Checks every value; throws on the first one out of range.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the setting, the value and the allowed range.</exception>
    public void Validate()
    {
        if (PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"CompactorSettings.{nameof(PollInterval)} is {PollInterval}; it must be greater than zero and at most one day.", nameof(PollInterval));
        }

        RequireRange(L0CompactionThreshold, 2, 10_000, nameof(L0CompactionThreshold));
        RequireRange(MaxL0SstsPerCompaction, L0CompactionThreshold, 10_000, nameof(MaxL0SstsPerCompaction));
        RequireRange(MinSortedRunsToMerge, 2, 10_000, nameof(MinSortedRunsToMerge));
        RequireRange(MaxSortedRunsPerCompaction, MinSortedRunsToMerge, 10_000, nameof(MaxSortedRunsPerCompaction));
        if (!(SizeRatio >= 1.0 && SizeRatio <= 1000.0))
        {
            throw new ArgumentException($"CompactorSettings.{nameof(SizeRatio)} is {SizeRatio}; it must be between 1 and 1000.", nameof(SizeRatio));
        }

        RequireRange(TargetSstSizeBytes, 4096, 1L << 30, nameof(TargetSstSizeBytes));
        RequireRange(MaxSubcompactions, 1, 64, nameof(MaxSubcompactions));
        RequireRange(MaxConcurrentCompactions, 1, 64, nameof(MaxConcurrentCompactions));
        RequireRange(ReadAheadBlocks, 1, 4096, nameof(ReadAheadBlocks));
    }

    /// <summary>A copy that later changes to this instance do not affect.</summary>
    public CompactorSettings Clone() => (CompactorSettings)MemberwiseClone();

    private static void RequireRange(long value, long min, long max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"CompactorSettings.{name} is {value}; it must be between {min} and {max}.", name);
        }
    }
}
