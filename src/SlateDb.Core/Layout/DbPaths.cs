using System.Globalization;
using SlateDb.Infrastructure;

namespace SlateDb.Layout;

/// <summary>
/// The object names of one database, relative to the store root:
/// <c>&lt;db&gt;/manifest/{id:D20}.manifest</c>, <c>&lt;db&gt;/wal/{id:D20}.sst</c>,
/// <c>&lt;db&gt;/compacted/{ULID}.sst</c>, <c>&lt;db&gt;/compactions/{id:D20}.compactions</c> and
/// <c>&lt;db&gt;/gc/manifest.boundary</c>. Ids are zero-padded to 20 digits so ordinal listing order is
/// id order. Parsing accepts only the canonical spelling, so every id has exactly one object name;
/// anything else under a prefix (temporary files, junk) is not an id and listings skip it.
/// </summary>
internal sealed class DbPaths
{
    /// <summary>The width of a zero-padded sequential id.</summary>
    public const int IdDigits = 20;

    /// <summary>The extension of manifest objects.</summary>
    public const string ManifestExtension = ".manifest";

    /// <summary>The extension of WAL and compacted SSTs.</summary>
    public const string SstExtension = ".sst";

    /// <summary>The extension of compactor state objects.</summary>
    public const string CompactionsExtension = ".compactions";

    /// <summary>Creates the layout of the database at <paramref name="dbPath"/>.</summary>
    /// <param name="dbPath">A relative object path such as <c>orders</c> or <c>tenants/a/orders</c>.</param>
    /// <exception cref="ArgumentException">The path is empty, starts or ends with '/', or has an empty, '.' or '..' segment.</exception>
    public DbPaths(string dbPath)
    {
        ValidateDbPath(dbPath);
        Root = dbPath;
        ManifestPrefix = dbPath + "/manifest/";
        WalPrefix = dbPath + "/wal/";
        CompactedPrefix = dbPath + "/compacted/";
        CompactionsPrefix = dbPath + "/compactions/";
        ManifestGcBoundaryPath = dbPath + "/gc/manifest.boundary";
        CompactionsGcBoundaryPath = dbPath + "/gc/compactions.boundary";
    }

    /// <summary>The database path.</summary>
    public string Root { get; }

    /// <summary>The listing prefix of manifest objects (ends with '/').</summary>
    public string ManifestPrefix { get; }

    /// <summary>The listing prefix of WAL SSTs and fences (ends with '/'); in the WAL store when there is one.</summary>
    public string WalPrefix { get; }

    /// <summary>The listing prefix of compacted (L0 and sorted-run) SSTs (ends with '/').</summary>
    public string CompactedPrefix { get; }

    /// <summary>The listing prefix of compactor state objects (ends with '/').</summary>
    public string CompactionsPrefix { get; }

    /// <summary>The GC boundary for manifest ids: one ASCII decimal id; every manifest at or below it may have been deleted.</summary>
    public string ManifestGcBoundaryPath { get; }

    /// <summary>The GC boundary for compactor state ids: one ASCII decimal id; every state at or below it may have been deleted.</summary>
    public string CompactionsGcBoundaryPath { get; }

    /// <summary>The path of manifest <paramref name="id"/>.</summary>
    public string ManifestPath(ulong id) => SequencedPath(ManifestPrefix, id, ManifestExtension);

    /// <summary>The path of WAL SST (or fence) <paramref name="id"/>.</summary>
    public string WalSstPath(ulong id) => SequencedPath(WalPrefix, id, SstExtension);

    /// <summary>The path of compactor state object <paramref name="id"/>.</summary>
    public string CompactionsPath(ulong id) => SequencedPath(CompactionsPrefix, id, CompactionsExtension);

    /// <summary>The path of the compacted SST <paramref name="id"/>.</summary>
    public string CompactedSstPath(Ulid id) => CompactedPrefix + id.ToString() + SstExtension;

    /// <summary>The manifest id named by <paramref name="path"/>; false for any other name.</summary>
    public bool TryParseManifestId(string path, out ulong id) => TryParseSequencedId(path, ManifestPrefix, ManifestExtension, out id);

    /// <summary>The WAL id named by <paramref name="path"/>; false for any other name.</summary>
    public bool TryParseWalId(string path, out ulong id) => TryParseSequencedId(path, WalPrefix, SstExtension, out id);

    /// <summary>The compactor state id named by <paramref name="path"/>; false for any other name.</summary>
    public bool TryParseCompactionsId(string path, out ulong id) => TryParseSequencedId(path, CompactionsPrefix, CompactionsExtension, out id);

    /// <summary>The compacted SST id named by <paramref name="path"/>; false for any other name (including a lowercase ULID).</summary>
    public bool TryParseCompactedId(string path, out Ulid id)
    {
        id = default;
        if (!TryGetStem(path, CompactedPrefix, SstExtension, out var stem) || !Ulid.TryParse(stem, out var parsed))
        {
            return false;
        }

        Span<char> canonical = stackalloc char[Ulid.StringLength];
        parsed.TryFormat(canonical, out _);
        if (!stem.SequenceEqual(canonical))
        {
            return false;
        }

        id = parsed;
        return true;
    }

    /// <summary><c>{prefix}{id:D20}{extension}</c>.</summary>
    public static string SequencedPath(string prefix, ulong id, string extension)
        => string.Concat(prefix, id.ToString("D20", CultureInfo.InvariantCulture), extension);

    /// <summary>
    /// Parses <c>{prefix}{20 digits}{extension}</c>. Any other name (another width, a sign, a nested path,
    /// a suffix after the extension, a value above <see cref="ulong.MaxValue"/>) is false.
    /// </summary>
    public static bool TryParseSequencedId(string path, string prefix, string extension, out ulong id)
    {
        id = 0;
        if (!TryGetStem(path, prefix, extension, out var stem) || stem.Length != IdDigits)
        {
            return false;
        }

        foreach (var c in stem)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return ulong.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming <paramref name="dbPath"/> unless it is a valid database
    /// path: non-empty, relative, no trailing '/', no empty, '.' or '..' segment, no '\' or NUL.
    /// </summary>
    public static void ValidateDbPath(string dbPath, string paramName = "dbPath")
    {
        ArgumentNullException.ThrowIfNull(dbPath, paramName);
        if (FindDbPathProblem(dbPath) is { } problem)
        {
            throw new ArgumentException($"The database path '{dbPath}' {problem}.", paramName);
        }
    }

    /// <summary>What makes <paramref name="dbPath"/> an invalid database path (see <see cref="ValidateDbPath"/>), or null.</summary>
    public static string? FindDbPathProblem(string dbPath)
    {
        var problem = dbPath switch
        {
            "" => "must not be empty",
            _ when dbPath[0] == '/' => "must be relative (no leading '/')",
            _ when dbPath[^1] == '/' => "must not end with '/'",
            _ when dbPath.Contains('\\', StringComparison.Ordinal) || dbPath.Contains('\0', StringComparison.Ordinal)
                => "must not contain '\\' or NUL",
            _ => null,
        };
        if (problem is null)
        {
            foreach (var segment in dbPath.Split('/'))
            {
                if (segment is "" or "." or "..")
                {
                    problem = "must not contain empty, '.' or '..' segments";
                    break;
                }
            }
        }

        return problem;
    }

    /// <inheritdoc />
    public override string ToString() => Root;

    private static bool TryGetStem(string path, string prefix, string extension, out ReadOnlySpan<char> stem)
    {
        stem = default;
        if (path is null || !path.StartsWith(prefix, StringComparison.Ordinal) || !path.EndsWith(extension, StringComparison.Ordinal)
            || path.Length < prefix.Length + extension.Length)
        {
            return false;
        }

        stem = path.AsSpan(prefix.Length, path.Length - prefix.Length - extension.Length);
        return stem.IndexOf('/') < 0;
    }
}
