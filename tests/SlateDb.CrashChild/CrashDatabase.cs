using SlateDb.ObjectStore;

namespace SlateDb.CrashChild;

/// <summary>
/// One database the kill test writes to, in a folder of local files: its main store, and optionally a separate WAL
/// store, plus the parent's model of its contents (every acknowledged write applied in order).
/// </summary>
public sealed class CrashDatabase
{
    /// <summary>The database's path inside its store.</summary>
    public const string DbPath = "db";

    /// <summary>How many distinct keys the writes use (small, so keys are overwritten and deleted often).</summary>
    public const int KeyCount = 64;

    /// <param name="directory">The folder holding the stores (created on first open).</param>
    /// <param name="separateWalStore">Whether the WAL lives in a store of its own.</param>
    public CrashDatabase(string directory, bool separateWalStore)
    {
        Directory = directory;
        SeparateWalStore = separateWalStore;
    }

    /// <summary>The folder holding the stores.</summary>
    public string Directory { get; }

    /// <summary>Whether the WAL lives in a store of its own (<c>wal/</c> next to <c>main/</c>).</summary>
    public bool SeparateWalStore { get; }

    /// <summary>The contents every acknowledged write so far adds up to (key → value; deleted keys absent).</summary>
    public SortedDictionary<string, string> Model { get; } = new(StringComparer.Ordinal);

    /// <summary>Settings that make memtable flushes, L0 SSTs and compactions frequent: a few KiB of writes make an SST.</summary>
    public static Settings WriterSettings() => new()
    {
        L0SstSizeBytes = 8 * 1024,
        BlockSize = 1024,
        MinFilterKeys = 4,
        Compactor = new CompactorSettings
        {
            PollInterval = TimeSpan.FromMilliseconds(50),
            L0CompactionThreshold = 2,
            MaxL0SstsPerCompaction = 4,
            MinSortedRunsToMerge = 2,
            MaxSortedRunsPerCompaction = 4,
            TargetSstSizeBytes = 16 * 1024,
        },
    };

    /// <summary>Opens the database (a writer: it fences any earlier one and replays the WAL).</summary>
    public Task<Db> OpenAsync(Settings settings, long seed, CancellationToken cancellationToken = default)
    {
        var builder = Db.Builder(DbPath, new LocalFileSystemObjectStore(Path.Combine(Directory, "main")))
            .WithSettings(settings)
            .WithSeed(seed);
        if (SeparateWalStore)
        {
            builder = builder.WithWalObjectStore(new LocalFileSystemObjectStore(Path.Combine(Directory, "wal")));
        }

        return builder.BuildAsync(cancellationToken);
    }
}
