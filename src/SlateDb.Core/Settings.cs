using Microsoft.Extensions.Configuration;

namespace SlateDb;

/// <summary>
/// How a database writes, flushes and caches. A plain object with settable properties, so it binds from
/// configuration (<see cref="FromConfiguration"/>); the defaults suit most uses.
/// </summary>
public sealed class Settings
{
    /// <summary>
    /// How often the WAL buffer is written to the object store (if it holds anything): the longest a write made
    /// without <see cref="WriteOptions.AwaitDurable"/> waits to become durable. Writes that await durability do not
    /// wait for it. Default 100 ms.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The memtable size at which it is frozen and written as an L0 SST. Default 64 MiB.</summary>
    public long L0SstSizeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Writers wait while the bytes not yet in L0 (memtables and WAL buffers) reach this. Default 1 GiB. It also bounds
    /// a single write: a put, delete or batch whose estimated encoded size (keys, values and about 30 bytes per
    /// operation) is larger than this, or than 256 MiB whatever this is, is refused with an
    /// <see cref="ArgumentException"/> naming the limit.
    /// </summary>
    public long MaxUnflushedBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The target size of an SST data block. Default 4 096 bytes.</summary>
    public int BlockSize { get; set; } = 4096;

    /// <summary>How SST blocks (L0, sorted runs and WAL) are compressed. Default <see cref="CompressionCodec.None"/>.</summary>
    public CompressionCodec Compression { get; set; } = CompressionCodec.None;

    /// <summary>Bloom filter bits per key in compacted SSTs (0 disables filters). Default 10.</summary>
    public int BloomBitsPerKey { get; set; } = 10;

    /// <summary>SSTs with fewer distinct keys than this get no bloom filter. Default 1 000.</summary>
    public int MinFilterKeys { get; set; } = 1000;

    /// <summary>How often the writer re-reads the manifest to notice a newer writer while idle. Default 1 s.</summary>
    public TimeSpan ManifestPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a manifest update may keep retrying after conflicts before it fails. Default 300 s.</summary>
    public TimeSpan ManifestUpdateTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>What opening does with a WAL object that fails verification. Default <see cref="SlateDb.WalRecoveryMode.Strict"/>.</summary>
    public WalRecoveryMode WalRecoveryMode { get; set; } = WalRecoveryMode.Strict;

    /// <summary>The capacity of the cache of decoded SST blocks (0 disables it). Default 512 MiB.</summary>
    public long BlockCacheBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// The bytes of SST metadata (index, bloom filter and properties of every open SST) kept in memory. Beyond it the
    /// least recently used SSTs are closed, and re-read their footer, index and filter (one or two GETs) on their next
    /// use. Default 64 MiB (a 64 MiB SST of 4 KiB blocks and 100-byte rows holds about 1.4 MiB); 0 keeps only the SST just
    /// opened. Readers in use (an open scan) keep working when evicted.
    /// </summary>
    public long MetadataCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The most bytes one scan reads ahead of the rows it returns, across all the SSTs it merges. A scan starts with the
    /// single block where it starts (served from the block cache when there); once it moves on, it requests blocks
    /// ahead with ranged GETs that double in size up to 1 MiB, one ahead and more (up to 8) while it waits for the
    /// store, within this budget. Blocks read
    /// ahead bypass the block cache, so a long scan does not evict what point lookups use. Default 8 MiB; 0 reads one
    /// block per request.
    /// </summary>
    public long ScanReadAheadBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// The number of L0 SSTs at which memtable flushes wait for compaction to reduce L0 (writers then wait through
    /// <see cref="MaxUnflushedBytes"/>). Default 8. Applies only while this process runs a compactor
    /// (<see cref="Compactor"/> set): with it null, L0 is not limited (a compactor in another process cannot be
    /// relied on to be running), and opening logs a warning.
    /// </summary>
    public int L0MaxSsts { get; set; } = 8;

    /// <summary>
    /// The compactor this process runs for the database (size-tiered: L0 SSTs into sorted runs, similar-sized runs
    /// into larger ones). Default: on, with <see cref="CompactorSettings"/> defaults. Null disables it, for example
    /// when a standalone <see cref="SlateDb.Compactor"/> runs elsewhere; in configuration, <c>"Compactor": "none"</c>.
    /// </summary>
    public CompactorSettings? Compactor { get; set; } = new();

    /// <summary>
    /// The garbage collector the open database runs on its own schedule; null disables it (run it elsewhere, for
    /// example with <c>DbAdmin.RunGarbageCollectionAsync</c>). Default: every 10 minutes, deleting nothing younger than 5
    /// minutes. Bound from the <c>Gc</c> subsection (<c>Gc:Interval</c>, <c>Gc:MinAge</c>).
    /// </summary>
    public GcSettings? Gc { get; set; } = new();

    /// <summary>
    /// Combines the operands written with <see cref="Db.MergeAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, WriteOptions?, CancellationToken)"/>
    /// and <see cref="WriteBatch.Merge(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with a key's value, on reads, flushes and
    /// compactions. Default null: merges are refused, and reading a key that holds operands fails with
    /// <see cref="MergeOperatorException"/>. A database that holds operands needs the same operator whenever it is opened.
    /// Not bound from configuration.
    /// </summary>
    public IMergeOperator? MergeOperator { get; set; }

    /// <summary>
    /// The time to live of puts and merges whose <see cref="WriteOptions"/> set none (<see cref="WriteOptions.Ttl"/>,
    /// <see cref="WriteOptions.ExpiresAt"/>): a row expires that long after it is written, by the database's clock, and is
    /// then invisible to reads (compaction removes it later). Default null: rows never expire. Tombstones never expire.
    /// </summary>
    public TimeSpan? DefaultTtl { get; set; }

    /// <summary>Reads settings from a configuration section (for example <c>configuration.GetSection("SlateDb")</c>), validated.</summary>
    /// <param name="section">The section; properties it does not name keep their defaults.</param>
    /// <exception cref="ArgumentException">A value is out of range; the message names the setting and the value.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted to the setting's type.</exception>
    public static Settings FromConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var settings = new Settings();
        section.Bind(settings);   // MergeOperator (an interface: set in code) is not bound

        // A complex property cannot be bound to null: "Compactor": "none" (or an empty value) turns it off.
        if (section.GetSection(nameof(Compactor)).Value is { } compactor
            && (compactor.Length == 0 || compactor.Equals("none", StringComparison.OrdinalIgnoreCase)))
        {
            settings.Compactor = null;
        }

        settings.Validate();
        return settings;
    }

    /// <summary>Checks every value; throws on the first one out of range.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the setting, the value and the allowed range.</exception>
    public void Validate()
    {
        RequirePositive(FlushInterval, nameof(FlushInterval));
        RequireRange(L0SstSizeBytes, 1, 1L << 32, nameof(L0SstSizeBytes));
        RequireRange(MaxUnflushedBytes, 1, long.MaxValue, nameof(MaxUnflushedBytes));
        RequireRange(BlockSize, 256, 16 * 1024 * 1024, nameof(BlockSize));
        if (!Enum.IsDefined(Compression))
        {
            throw new ArgumentException($"Settings.{nameof(Compression)} is {(int)Compression}, which is not a {nameof(CompressionCodec)}.", nameof(Compression));
        }

        RequireRange(BloomBitsPerKey, 0, 64, nameof(BloomBitsPerKey));
        RequireRange(MinFilterKeys, 0, int.MaxValue, nameof(MinFilterKeys));
        RequirePositive(ManifestPollInterval, nameof(ManifestPollInterval));
        RequirePositive(ManifestUpdateTimeout, nameof(ManifestUpdateTimeout));
        if (!Enum.IsDefined(WalRecoveryMode))
        {
            throw new ArgumentException($"Settings.{nameof(WalRecoveryMode)} is {(int)WalRecoveryMode}, which is not a {nameof(SlateDb.WalRecoveryMode)}.", nameof(WalRecoveryMode));
        }

        RequireRange(BlockCacheBytes, 0, long.MaxValue, nameof(BlockCacheBytes));
        RequireRange(MetadataCacheBytes, 0, long.MaxValue, nameof(MetadataCacheBytes));
        RequireRange(ScanReadAheadBytes, 0, 1L << 30, nameof(ScanReadAheadBytes));
        RequireRange(L0MaxSsts, 1, 1_000_000, nameof(L0MaxSsts));
        if (DefaultTtl is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultTtl), ttl, $"Settings.{nameof(DefaultTtl)} is {ttl}; a time to live must be greater than zero (null: rows never expire).");
        }

        Compactor?.Validate();
        Gc?.Validate();
    }

    /// <summary>A copy that later changes to this instance do not affect.</summary>
    public Settings Clone()
    {
        var copy = (Settings)MemberwiseClone();
        copy.Compactor = Compactor?.Clone();
        copy.Gc = Gc?.Clone();
        return copy;
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"Settings.{name} is {value}; it must be greater than zero and at most one day.", name);
        }
    }

    private static void RequireRange(long value, long min, long max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"Settings.{name} is {value}; it must be between {min} and {max}.", name);
        }
    }
}
