using System.Diagnostics;
using System.Text.Json;
using SlateDb.Testing;
using Xunit;

namespace SlateDb.Admin.Tests.Cli;

/// <summary><c>slatedb tail</c> through the real executable: lines, JSON lines, --from, --follow with Ctrl-C, exit codes.</summary>
public sealed class TailCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-tail");

    private string Store => "file://" + _dir.FullPath;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Tail_prints_every_change_in_order_and_resumes_after_a_printed_cursor()
    {
        Assert.Equal(0, (await Run("put", "user:1", "Alice")).Code);
        Assert.Equal(0, (await Run("put", "user:2", "Bob")).Code);
        Assert.Equal(0, (await Run("delete", "user:1")).Code);

        var lines = JsonLines(await Run("tail", "--json"));
        Assert.Equal(["put user:1 Alice", "put user:2 Bob", "delete user:1 "], lines.Select(l => $"{l.GetProperty("kind")} {l.GetProperty("key")} {l.GetProperty("value")}"));
        Assert.Equal(JsonValueKind.Null, lines[2].GetProperty("value").ValueKind);
        var seqs = lines.Select(l => l.GetProperty("seq").GetUInt64()).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.True(lines[0].GetProperty("createTimestamp").GetInt64() > 0);

        var text = await Run("tail");
        Assert.Equal(0, text.Code);
        var textLines = text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, textLines.Length);
        Assert.Equal([lines[1].GetProperty("cursor").GetString()!, "put", "user:2", "Bob"], textLines[1].Split('\t'));

        var rest = JsonLines(await Run("tail", "--json", "--from", lines[0].GetProperty("cursor").GetString()!));
        Assert.Equal(["user:2", "user:1"], rest.Select(l => l.GetProperty("key").GetString()));
        Assert.Empty(JsonLines(await Run("tail", "--json", "--from", lines[2].GetProperty("cursor").GetString()!)));
    }

    [Fact]
    public async Task Tail_follow_prints_new_writes_as_they_come_and_ctrl_c_ends_it_with_code_0()
    {
        Assert.Equal(0, (await Run("put", "a", "1")).Code);
        using var process = SlateDbTool.Start("--store", Store, "--path", "db", "tail", "--follow", "--json", "--poll-interval", "00:00:00.100");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            Assert.Contains("\"key\":\"a\"", await process.StandardOutput.ReadLineAsync(timeout.Token), StringComparison.Ordinal);
            Assert.Equal(0, (await Run("put", "b", "2")).Code);
            Assert.Contains("\"key\":\"b\"", await process.StandardOutput.ReadLineAsync(timeout.Token), StringComparison.Ordinal);

            using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync(timeout.Token);
            }

            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Tail_fails_with_the_usual_codes_for_bad_cursors_intervals_missing_databases_and_a_truncated_wal()
    {
        var badCursor = await Run("tail", "--from", "12");
        Assert.Equal(2, badCursor.Code);
        Assert.Contains("'12' is not a change cursor", badCursor.Err, StringComparison.Ordinal);
        Assert.Empty(badCursor.Out);
        Assert.Equal(2, (await Run("tail", "--follow", "--poll-interval", "-00:00:01")).Code);

        var missing = await Run("tail");
        Assert.Equal(3, missing.Code);
        Assert.Contains("no database", missing.Err, StringComparison.Ordinal);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(0, (await Run("put", $"k{i}", "v")).Code);
        }

        var wal = Directory.GetFiles(Path.Combine(_dir.FullPath, "db", "wal")).Order(StringComparer.Ordinal).ToList();
        File.Delete(wal[wal.Count / 2]);
        var truncated = await Run("tail");
        Assert.Equal(1, truncated.Code);
        Assert.Contains("truncated", truncated.Err, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(wal[wal.Count / 2]), truncated.Err, StringComparison.Ordinal);
    }

    private Task<(int Code, string Out, string Err)> Run(params string[] args)
        => SlateDbTool.RunAsync(["--store", Store, "--path", "db", .. args]);

    private static List<JsonElement> JsonLines((int Code, string Out, string Err) result)
    {
        Assert.True(result.Code == 0, $"exit code {result.Code}: {result.Err}");
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }
}
