using System.Text.Json;
using SlateDb.Testing;
using Xunit;

namespace SlateDb.Admin.Tests.Cli;

/// <summary>The real <c>slatedb</c> executable against a temporary local store: output, --json, exit codes, usage errors.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli");

    private string Store => "file://" + _dir.FullPath;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Data_commands_write_read_scan_and_delete_with_tables_and_json()
    {
        Assert.Equal(0, (await Run("put", "user:1", "Alice")).Code);
        Assert.Equal(0, (await Run("put", "user:2", "Bob")).Code);
        Assert.Equal(0, (await Run("put", "order:1", "x")).Code);

        var get = await Run("get", "user:1");
        Assert.Equal(0, get.Code);
        Assert.Contains("Alice", get.Out, StringComparison.Ordinal);
        var getJson = Json(await Run("get", "user:2", "--json"));
        Assert.Equal("Bob", getJson.GetProperty("value").GetString());

        var scan = Json(await Run("scan", "--prefix", "user:", "--json"));
        Assert.Equal(["user:1", "user:2"], scan.EnumerateArray().Select(e => e.GetProperty("key").GetString()));
        Assert.Equal("Alice", scan[0].GetProperty("value").GetString());
        Assert.Single(Json(await Run("scan", "--limit", "1", "--json")).EnumerateArray());
        var table = await Run("scan");
        Assert.Contains("order:1", table.Out, StringComparison.Ordinal);

        Assert.Equal(0, (await Run("delete", "user:1")).Code);
        var gone = await Run("get", "user:1");
        Assert.Equal(3, gone.Code);
        Assert.Contains("user:1", gone.Err, StringComparison.Ordinal);
        Assert.Empty(gone.Out);
    }

    [Fact]
    public async Task Manifest_checkpoint_verify_and_gc_commands_print_the_api_names()
    {
        Assert.Equal(0, (await Run("put", "k", "v")).Code);

        var manifest = Json(await Run("read-manifest", "--json"));
        Assert.True(manifest.GetProperty("nextWalSstId").GetUInt64() > 0);
        Assert.True(manifest.TryGetProperty("replayAfterWalId", out _));
        Assert.True(manifest.GetProperty("initialized").GetBoolean());
        var manifests = Json(await Run("list-manifests", "--json"));
        Assert.Equal(manifest.GetProperty("id").GetUInt64(), manifests[manifests.GetArrayLength() - 1].GetProperty("id").GetUInt64());
        Assert.Equal(1UL, Json(await Run("read-manifest", "--id", "1", "--json")).GetProperty("id").GetUInt64());
        Assert.Contains("writerEpoch", (await Run("read-manifest")).Out, StringComparison.Ordinal);

        var created = Json(await Run("create-checkpoint", "--name", "nightly", "--lifetime", "01:00:00", "--json"));
        var id = created.GetProperty("id").GetString()!;
        Assert.True(created.GetProperty("manifestId").GetUInt64() > 0);
        var listed = Json(await Run("list-checkpoints", "--name", "nightly", "--json"));
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.Contains(id, (await Run("list-checkpoints")).Out, StringComparison.Ordinal);
        var refreshed = Json(await Run("refresh-checkpoint", "--id", id, "--json"));
        Assert.Equal(JsonValueKind.Null, refreshed.GetProperty("expireTime").ValueKind);
        Assert.Equal("v", Json(await Run("get", "k", "--checkpoint", id, "--json")).GetProperty("value").GetString());

        var verify = Json(await Run("verify", "--json"));
        Assert.True(verify.GetProperty("isHealthy").GetBoolean());
        Assert.True(verify.GetProperty("objectsChecked").GetInt64() > 0);
        Assert.Equal(0, verify.GetProperty("problems").GetArrayLength());
        Assert.Equal(0, (await Run("verify", "--checkpoint", id)).Code);

        var gc = Json(await Run("run-gc", "--dry-run", "--min-age", "00:00:00", "--json"));
        Assert.True(gc.GetProperty("deletedManifests").GetInt32() >= 0);
        Assert.Equal(0, (await Run("run-gc", "--min-age", "00:00:00")).Code);

        Assert.Equal(0, (await Run("delete-checkpoint", "--id", id)).Code);
        Assert.Equal(0, Json(await Run("list-checkpoints", "--json")).GetArrayLength());
    }

    [Fact]
    public async Task Create_clone_and_copy_make_databases_the_data_commands_read()
    {
        Assert.Equal(0, (await Run("put", "k", "v")).Code);

        var clone = Json(await SlateDbTool.RunAsync("--store", Store, "--path", "clone", "create-clone", "--parent-path", "db", "--json"));
        Assert.True(clone.GetProperty("manifestId").GetUInt64() > 0);
        Assert.Equal("v", Json(await SlateDbTool.RunAsync("--store", Store, "--path", "clone", "get", "k", "--json")).GetProperty("value").GetString());

        using var other = new TempDirectory("cli-copy");
        var copy = Json(await Run("copy", "--to-store", "file://" + other.FullPath, "--to-path", "copied", "--json"));
        Assert.False(copy.GetProperty("alreadyExisted").GetBoolean());
        var read = Json(await SlateDbTool.RunAsync("--store", "file://" + other.FullPath, "--path", "copied", "scan", "--json"));
        Assert.Equal("k", Assert.Single(read.EnumerateArray()).GetProperty("key").GetString());

        var missing = await SlateDbTool.RunAsync("--store", Store, "--path", "clone2", "create-clone", "--parent-path", "no-such-db");
        Assert.Equal(3, missing.Code);
        Assert.Contains("no-such-db", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_compactor_once_leaves_fewer_l0_ssts_than_its_threshold_and_every_key_readable()
    {
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(0, (await Run("put", $"k{i}", $"v{i}")).Code);    // each writer's close flushes an L0 SST
        }

        var before = Json(await Run("read-manifest", "--json")).GetProperty("compactorEpoch").GetUInt64();
        var result = Json(await Run("compactor", "--once", "--json"));

        Assert.True(result.GetProperty("compactorEpoch").GetUInt64() > before);     // it claimed the compactor epoch
        Assert.InRange(result.GetProperty("l0").GetInt32(), 0, 3);
        Assert.True(result.GetProperty("sortedRuns").GetInt32() >= 1);
        var scan = Json(await Run("scan", "--json"));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"k{i}"), scan.EnumerateArray().Select(e => e.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task Bad_usage_fails_with_a_message_on_stderr_and_a_non_zero_code()
    {
        Assert.Equal(0, (await Run("put", "k", "v")).Code);

        var unknown = await SlateDbTool.RunAsync("--store", Store, "--path", "db", "frobnicate");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("frobnicate", unknown.Err, StringComparison.Ordinal);

        var noStore = await SlateDbTool.RunAsync("--path", "db", "list-checkpoints");
        Assert.Equal(2, noStore.Code);
        Assert.Contains("--store", noStore.Err, StringComparison.Ordinal);

        var badUri = await SlateDbTool.RunAsync("--store", "not-a-uri", "--path", "db", "list-checkpoints");
        Assert.Equal(2, badUri.Code);
        Assert.Contains("not-a-uri", badUri.Err, StringComparison.Ordinal);

        var missing = Guid.NewGuid().ToString();
        foreach (var args in new[] { new[] { "delete-checkpoint", "--id", missing }, ["refresh-checkpoint", "--id", missing], ["verify", "--checkpoint", missing] })
        {
            var result = await Run(args);
            Assert.Equal(3, result.Code);
            Assert.Contains(missing, result.Err, StringComparison.Ordinal);
        }

        var badGuid = await Run("delete-checkpoint", "--id", "nope");
        Assert.Equal(2, badGuid.Code);
        Assert.NotEmpty(badGuid.Err);

        var noDb = await SlateDbTool.RunAsync("--store", Store, "--path", "nothing-here", "read-manifest");
        Assert.Equal(3, noDb.Code);
        Assert.Contains("nothing-here", noDb.Err, StringComparison.Ordinal);

        Assert.Equal(0, (await SlateDbTool.RunAsync("--help")).Code);
    }

    private Task<(int Code, string Out, string Err)> Run(params string[] args)
        => SlateDbTool.RunAsync(["--store", Store, "--path", "db", .. args]);

    private static JsonElement Json((int Code, string Out, string Err) result)
    {
        Assert.True(result.Code == 0, $"exit code {result.Code}: {result.Err}");
        return JsonDocument.Parse(result.Out).RootElement.Clone();
    }
}
