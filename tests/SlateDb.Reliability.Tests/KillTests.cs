using System.Globalization;
using SlateDb.CrashChild;
using SlateDb.Testing;
using SlateDb.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Reliability.Tests;

/// <summary>
/// Real crashes: a child process writes to databases of local files and is killed with SIGKILL at seeded moments;
/// after every kill the database reopens with every acknowledged write (see <see cref="KillRunner"/>). CI runs a few
/// dozen kills; <c>SLATEDB_KILLS</c> sets the count (the long run is <c>SlateDb.CrashChild run --kills 300</c>).
/// </summary>
public sealed class KillTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Every_acknowledged_write_survives_SIGKILL_of_the_writer_process()
    {
        Skip.If(OperatingSystem.IsWindows(), "the test is about POSIX SIGKILL and fsync");

        var kills = int.TryParse(Environment.GetEnvironmentVariable("SLATEDB_KILLS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 24;
        using var directory = new TempDirectory("kill");
        var summary = await new KillRunner(directory.FullPath, seed: 13, output.WriteLine).RunAsync(kills);
        output.WriteLine(summary.ToString());

        Assert.Equal(kills, summary.Kills);
        Assert.Equal(0, summary.Lost);
        Assert.True(summary.WritesVerified > kills, $"Too few writes were acknowledged to mean anything: {summary}");
    }
}
