using SlateDb.Manifest.Proto;

namespace SlateDb.Manifest;

/// <summary>
/// The manifest object format: <c>magic "SDBM" (4 bytes) | u16 LE format version | protobuf
/// <see cref="ManifestData"/> | u32 LE CRC-32C</c> (<see cref="FramedProtobufCodec{T}"/>), with the structural rules of
/// <see cref="FindStructuralProblem"/>. See docs/rfcs/0001-manifest.md.
/// </summary>
internal sealed class ManifestCodec : FramedProtobufCodec<ManifestData>
{
    /// <summary>The format version this build writes and reads.</summary>
    public const ushort FormatVersion = 1;

    private ManifestCodec()
        : base("SDBM", FormatVersion, "manifest", ManifestData.Parser)
    {
    }

    /// <summary>The codec (stateless).</summary>
    public static ManifestCodec Instance { get; } = new();

    /// <inheritdoc />
    protected override string? StructuralProblem(ManifestData value) => FindStructuralProblem(value);

    /// <summary>
    /// The first violation of the rules every stored manifest obeys (each SST handle and external SST has an
    /// id, each checkpoint has an id, each external database has a valid database path and a source checkpoint), or null.
    /// </summary>
    public static string? FindStructuralProblem(ManifestData manifest)
    {
        for (var i = 0; i < manifest.L0.Count; i++)
        {
            if (manifest.L0[i].Id is null)
            {
                return $"l0[{i}] has no SST id";
            }
        }

        for (var r = 0; r < manifest.SortedRuns.Count; r++)
        {
            var run = manifest.SortedRuns[r];
            for (var i = 0; i < run.Ssts.Count; i++)
            {
                if (run.Ssts[i].Id is null)
                {
                    return $"sorted run {run.Id} (sorted_runs[{r}]) sst[{i}] has no SST id";
                }
            }
        }

        for (var i = 0; i < manifest.Checkpoints.Count; i++)
        {
            if (manifest.Checkpoints[i].Id is null)
            {
                return $"checkpoints[{i}] has no id";
            }
        }

        for (var i = 0; i < manifest.ExternalDbs.Count; i++)
        {
            var db = manifest.ExternalDbs[i];
            if (string.IsNullOrEmpty(db.Path))
            {
                return $"external_dbs[{i}] has no path";
            }

            if (Layout.DbPaths.FindDbPathProblem(db.Path) is { } pathProblem)
            {
                return $"external_dbs[{i}] path '{db.Path}' {pathProblem}";
            }

            if (db.SourceCheckpointId is null)
            {
                return $"external_dbs[{i}] ('{db.Path}') has no source checkpoint id";
            }
        }

        return null;
    }
}
