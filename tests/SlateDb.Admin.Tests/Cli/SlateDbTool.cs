using System.Diagnostics;

namespace SlateDb.Admin.Tests.Cli;

/// <summary>Runs the built <c>slatedb</c> executable (src/SlateDb.Admin.Cli, built with this test project) as a child process.</summary>
internal static class SlateDbTool
{
    private static readonly Lazy<string> Dll = new(Locate);

    /// <summary>Runs <c>slatedb</c> with <paramref name="args"/>; returns its exit code, stdout and stderr.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>slatedb</c> with <paramref name="args"/>, stdout and stderr redirected (the caller waits for it and disposes it).</summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll.Value);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
    }

    // bin/<Configuration>/<tfm> of this test project → the CLI's output folder of the same configuration.
    private static string Locate()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SlateDb.sln")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root!.FullName, "src", "SlateDb.Admin.Cli", "bin", configuration, tfm, "slatedb.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"The slatedb executable was not built at {dll}.");
    }
}
