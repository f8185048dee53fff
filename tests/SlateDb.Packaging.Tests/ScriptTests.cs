using System.Diagnostics;
using System.Text;
using Xunit;

namespace SlateDb.Packaging.Tests;

// What a user of the packages sees, end to end: each test runs one of the repository's smoke scripts (which build in
// their own temporary folders) and checks its verdict. One class, so the two heavy builds never run at once.
public sealed class ScriptTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(15);

    [Fact]
    public async Task The_packed_packages_install_into_a_fresh_worker_that_runs_with_DI_health_checks_telemetry_and_the_cache()
    {
        var (exitCode, output) = await RunScriptAsync("scripts/package-smoke.sh");

        Assert.True(exitCode == 0, output);
        Assert.Contains("\npackage smoke: OK", output, StringComparison.Ordinal);
        Assert.Contains("orders: run 2, 2 orders", output, StringComparison.Ordinal);
        Assert.Contains("health: slatedb-orders Healthy", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_quick_start_runs_as_a_native_aot_executable()
    {
        var (exitCode, output) = await RunScriptAsync("scripts/aot-smoke.sh");

        Assert.True(exitCode == 0, output);
        Assert.Contains("\naot smoke: OK", output, StringComparison.Ordinal);
        Assert.Contains("run counter 2: verified", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(string script)
    {
        var root = RepositoryRoot();
        var info = new ProcessStartInfo("bash", [Path.Combine(root, script)])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // The scripts build other projects: the test host's MSBuild settings must not leak into them.
        foreach (var variable in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
        {
            info.Environment.Remove(variable);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {script}.");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within {Limit}; its output so far:\n{output}");
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SlateDb.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SlateDb.sln above {AppContext.BaseDirectory}.");
    }
}
