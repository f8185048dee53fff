using System.Globalization;

namespace SlateDb.CrashChild;

/// <summary>
/// Two modes:
/// <list type="bullet">
/// <item><c>child --dir D --seed S --round R --writers W [--separate-wal]</c>: the process the kill test kills (<see cref="ChildWriter"/>).</item>
/// <item><c>run [--kills N] [--seed S] [--dir D]</c>: the long kill test (<see cref="KillRunner"/>), 300 kills by
/// default, in a fresh temp folder unless <c>--dir</c> is given; it ends with the line
/// <c>kills N, writes verified N, lost 0</c> and exits non-zero if a write was lost.</item>
/// </list>
/// </summary>
public static class Program
{
    /// <summary>The command line of a child writing to <paramref name="database"/>.</summary>
    public static IEnumerable<string> ChildArguments(CrashDatabase database, int seed, int round, int writers)
    {
        yield return "child";
        yield return "--writers";
        yield return writers.ToString(CultureInfo.InvariantCulture);
        yield return "--dir";
        yield return database.Directory;
        yield return "--seed";
        yield return seed.ToString(CultureInfo.InvariantCulture);
        yield return "--round";
        yield return round.ToString(CultureInfo.InvariantCulture);
        if (database.SeparateWalStore)
        {
            yield return "--separate-wal";
        }
    }

    public static async Task<int> Main(string[] args)
    {
        string Option(string name, string fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }

        switch (args.FirstOrDefault())
        {
            case "child":
                var database = new CrashDatabase(Option("--dir", ""), args.Contains("--separate-wal"));
                await ChildWriter.RunAsync(
                    database,
                    long.Parse(Option("--seed", "1"), CultureInfo.InvariantCulture),
                    int.Parse(Option("--round", "0"), CultureInfo.InvariantCulture),
                    int.Parse(Option("--writers", "1"), CultureInfo.InvariantCulture)).ConfigureAwait(false);
                return 0;
            case "run":
                var kills = int.Parse(Option("--kills", "300"), CultureInfo.InvariantCulture);
                var seed = int.Parse(Option("--seed", "1"), CultureInfo.InvariantCulture);
                var given = Option("--dir", "");
                var directory = given.Length > 0 ? given : Path.Combine(Path.GetTempPath(), "slatedb-kill-" + Path.GetRandomFileName());
                Console.WriteLine($"kill test: {kills} kills, seed {seed}, in {directory}");
                try
                {
                    var summary = await new KillRunner(directory, seed, Console.WriteLine).RunAsync(kills).ConfigureAwait(false);
                    Console.WriteLine(summary);
                    return 0;
                }
                catch (InvalidOperationException ex)
                {
                    Console.WriteLine(ex.Message);
                    Console.WriteLine($"kills ?, writes verified ?, lost ≥ 1 (seed {seed}; data kept in {directory})");
                    return 1;
                }
                finally
                {
                    if (given.Length == 0 && Directory.Exists(directory))
                    {
                        Directory.Delete(directory, recursive: true);
                    }
                }

            default:
                Console.Error.WriteLine("usage: SlateDb.CrashChild child --dir D --seed S --round R --writers W [--separate-wal]");
                Console.Error.WriteLine("       SlateDb.CrashChild run [--kills N] [--seed S] [--dir D]");
                return 2;
        }
    }
}
