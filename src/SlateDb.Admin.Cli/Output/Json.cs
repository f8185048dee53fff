using System.Text.Json.Nodes;

namespace SlateDb.Admin.Cli.Output;

/// <summary>The JSON shapes of the admin types (camelCase, the names of shared/API.md).</summary>
internal static class Json
{
    public static JsonObject Manifest(Manifest m) => new()
    {
        ["id"] = m.Id,
        ["writerEpoch"] = m.WriterEpoch,
        ["compactorEpoch"] = m.CompactorEpoch,
        ["replayAfterWalId"] = m.ReplayAfterWalId,
        ["nextWalSstId"] = m.NextWalSstId,
        ["lastL0Seq"] = m.LastL0Seq,
        ["l0"] = Array(m.L0, Sst),
        ["sortedRuns"] = Array(m.SortedRuns, r => new JsonObject { ["id"] = r.Id, ["ssts"] = Array(r.Ssts, Sst) }),
        ["checkpoints"] = Array(m.Checkpoints, Checkpoint),
        ["externalDbs"] = Array(m.ExternalDbs, e => new JsonObject
        {
            ["path"] = e.Path,
            ["sstIds"] = Array(e.SstIds, s => JsonValue.Create(s)),
        }),
        ["initialized"] = m.Initialized,
        ["walObjectStoreUri"] = m.WalObjectStoreUri,
    };

    public static JsonObject Checkpoint(CheckpointInfo c) => new()
    {
        ["id"] = c.Id.ToString(),
        ["manifestId"] = c.ManifestId,
        ["createTime"] = c.CreateTime,
        ["expireTime"] = c.ExpireTime,
        ["name"] = c.Name,
    };

    public static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonNode?> map)
    {
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add(map(item));
        }

        return array;
    }

    private static JsonObject Sst(ManifestSst s) => new()
    {
        ["id"] = s.Id,
        ["firstKey"] = Renderer.Utf8(s.FirstKey),
        ["lastKey"] = Renderer.Utf8(s.LastKey),
        ["size"] = s.Size,
        ["rowCount"] = s.RowCount,
    };
}
