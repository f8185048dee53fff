using Google.Protobuf;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest.Proto;
using SlateDb.Read;

namespace SlateDb.Engine;

/// <summary>Translations between the manifest's SST handles and what the read path and the flusher use.</summary>
internal static class ManifestViews
{
    /// <summary>The manifest handle of an SST the writer just stored.</summary>
    public static SstHandle ToHandle(Ulid id, SstInfo info) => new()
    {
        Id = SstId.FromUlid(id),
        FirstKey = ByteString.CopyFrom(info.FirstKey.Span),
        LastKey = ByteString.CopyFrom(info.LastKey.Span),
        Size = (ulong)info.Size,
        RowCount = (ulong)info.RowCount,
        FormatVersion = info.FormatVersion,
        MinSeq = info.MinSeq,
        MaxSeq = info.MaxSeq,
        RangeTombstones = info.RangeTombstones is { } tombstones
            ? new RangeTombstoneReach { End = tombstones.End is { } end ? ByteString.CopyFrom(end.Span) : ByteString.Empty, Unbounded = tombstones.End is null }
            : null,
    };

    /// <summary>How far the range tombstones of the SST behind <paramref name="handle"/> reach: null when it has none, else their end (null inside: unbounded).</summary>
    public static TableView.TombstoneReach? ReachOf(SstHandle handle)
        => handle.RangeTombstones is { } reach ? new TableView.TombstoneReach(reach.Unbounded ? RangeTombstone.NoEnd : reach.End.Memory) : null;

    /// <summary>The L0 SSTs of <paramref name="manifest"/>, newest first; views in <paramref name="known"/> are reused.</summary>
    public static TableView[] L0(ManifestData manifest, DbPaths paths, IReadOnlyDictionary<string, TableView>? known = null)
    {
        var resolver = new PathResolver(manifest, paths, known);
        var views = new TableView[manifest.L0.Count];
        for (var i = 0; i < views.Length; i++)
        {
            views[i] = resolver.View(manifest.L0[i]);
        }

        return views;
    }

    /// <summary>The sorted runs of <paramref name="manifest"/>, newest first; views in <paramref name="known"/> are reused.</summary>
    public static SortedRunView[] SortedRuns(ManifestData manifest, DbPaths paths, IReadOnlyDictionary<string, TableView>? known = null)
    {
        var resolver = new PathResolver(manifest, paths, known);
        var runs = new SortedRunView[manifest.SortedRuns.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            var run = manifest.SortedRuns[i];
            var tables = new TableView[run.Ssts.Count];
            for (var j = 0; j < tables.Length; j++)
            {
                tables[j] = resolver.View(run.Ssts[j]);
            }

            runs[i] = new SortedRunView(run.Id, tables);
        }

        return runs;
    }

    /// <summary>The SST views of <paramref name="state"/> by object path.</summary>
    public static Dictionary<string, TableView> ByPath(DbState state)
    {
        var views = new Dictionary<string, TableView>(StringComparer.Ordinal);
        foreach (var table in state.L0)
        {
            views[table.Path] = table;
        }

        foreach (var run in state.SortedRuns)
        {
            foreach (var table in run.Tables)
            {
                views[table.Path] = table;
            }
        }

        return views;
    }

    /// <summary>The object paths of the given SSTs.</summary>
    public static HashSet<string> Paths(TableView[] l0, SortedRunView[] runs)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in l0)
        {
            paths.Add(table.Path);
        }

        foreach (var run in runs)
        {
            foreach (var table in run.Tables)
            {
                paths.Add(table.Path);
            }
        }

        return paths;
    }

    // An SST listed under an external database (a clone's parent) lives under that database's path.
    private readonly struct PathResolver
    {
        private readonly DbPaths _paths;
        private readonly IReadOnlyDictionary<string, TableView>? _known;
        private readonly Dictionary<Ulid, DbPaths>? _external;

        public PathResolver(ManifestData manifest, DbPaths paths, IReadOnlyDictionary<string, TableView>? known)
        {
            _paths = paths;
            _known = known;
            _external = null;
            foreach (var db in manifest.ExternalDbs)
            {
                var dbPaths = new DbPaths(db.Path);
                foreach (var id in db.SstIds)
                {
                    (_external ??= [])[id.ToUlid()] = dbPaths;
                }
            }
        }

        public TableView View(SstHandle handle)
        {
            var id = handle.Id.ToUlid();
            var owner = _external is not null && _external.TryGetValue(id, out var external) ? external : _paths;
            var path = owner.CompactedSstPath(id);
            return _known is not null && _known.TryGetValue(path, out var view)
                ? view
                : new TableView(id.ToString(), path, handle.FirstKey.Memory, handle.LastKey.Memory, (long)handle.Size, ReachOf(handle));
        }
    }
}
