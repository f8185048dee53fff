using System.Globalization;
using SlateDb.Testing.Fuzzing;

namespace SlateDb.Fuzz;

/// <summary>
/// The long mode of decoder fuzzing, and the entry point of the coverage-guided run.
/// <list type="bullet">
/// <item><c>--inputs N [--seed S] [--target NAME]... [--failures DIR]</c>: feeds N inputs (mutated seeds and random
/// bytes) round-robin to the targets; ends with <c>inputs N, targets N, failures N</c>; exit code 1 on any failure.</item>
/// <item><c>--afl NAME</c>: runs target NAME under AFL++ through SharpFuzz (the input comes from AFL).</item>
/// <item><c>--write-corpus NAME DIR</c>: writes the target's seed corpus to DIR, one file per seed.</item>
/// <item><c>--replay NAME FILE...</c>: feeds the files to target NAME, as a failure or crash is reproduced.</item>
/// <item><c>--list</c>: the targets.</item>
/// </list>
/// </summary>
internal static class FuzzCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: SlateDb.Fuzz --inputs N [--seed S] [--target NAME]... [--failures DIR] | --afl NAME | --write-corpus NAME DIR | --replay NAME FILE... | --list");
            return args.Length == 0 ? 2 : 0;
        }

        switch (args[0])
        {
            case "--list":
                foreach (var target in FuzzTargets.All)
                {
                    Console.WriteLine($"{target.Name,-16} {target.Description}");
                }

                return 0;
            case "--afl" when args.Length == 2:
                AflEntry.Run(FuzzTargets.Get(args[1]));
                return 0;
            case "--write-corpus" when args.Length == 3:
                var corpus = FuzzTargets.Get(args[1]).Seeds;
                Directory.CreateDirectory(args[2]);
                for (var i = 0; i < corpus.Count; i++)
                {
                    await File.WriteAllBytesAsync(System.IO.Path.Combine(args[2], $"seed-{i:D3}"), corpus[i]).ConfigureAwait(false);
                }

                Console.WriteLine($"wrote {corpus.Count} seeds of {args[1]} to {args[2]}");
                return 0;
            case "--replay" when args.Length >= 3:
                return await ReplayAsync(FuzzTargets.Get(args[1]), args[2..]).ConfigureAwait(false);
            default:
                return await MutationLoop.RunAsync(MutationLoop.Options.Parse(args)).ConfigureAwait(false);
        }
    }

    private static async Task<int> ReplayAsync(FuzzTarget target, string[] files)
    {
        var failures = 0;
        foreach (var file in files)
        {
            try
            {
                await target.RunAsync(await File.ReadAllBytesAsync(file).ConfigureAwait(false)).ConfigureAwait(false);
                Console.WriteLine($"{file}: ok");
            }
            catch (FuzzFailureException e)
            {
                failures++;
                Console.WriteLine($"{file}: {e.Problem}");
                Console.WriteLine(e.InnerException?.ToString());
            }
        }

        return failures == 0 ? 0 : 1;
    }

    internal static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
