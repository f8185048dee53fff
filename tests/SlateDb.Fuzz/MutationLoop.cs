using System.Globalization;
using SlateDb.Testing.Fuzzing;

namespace SlateDb.Fuzz;

/// <summary>
/// Feeds inputs round-robin to the targets: nine in ten are a seed with one to six mutations (sometimes a mutated
/// earlier input, so edits compound), one in ten random bytes. A watchdog ends the process, printing the input, when
/// one input runs longer than the hang limit. Deterministic for a given seed and target list.
/// </summary>
internal static class MutationLoop
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(Options options)
    {
        var targets = options.Targets.Count == 0 ? FuzzTargets.All : [.. options.Targets.Select(FuzzTargets.Get)];
        var random = new Random(options.Seed);
        var time = TimeProvider.System;
        var current = new Current();
        using var watchdog = new Timer(_ => current.CheckForHang(time, HangLimit), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var previous = new byte[targets.Count][];
        long failures = 0;
        var started = time.GetTimestamp();
        for (long i = 0; i < options.Inputs; i++)
        {
            var t = (int)(i % targets.Count);
            var target = targets[t];
            var input = NextInput(random, target, previous[t]);
            previous[t] = input;
            current.Start(target, input, time.GetTimestamp());
            try
            {
                await target.RunAsync(input).ConfigureAwait(false);
            }
            catch (FuzzFailureException e)
            {
                failures++;
                previous[t] = null!;
                Console.WriteLine($"FAILURE {failures} at input {i}: {e.Message}");
                Console.WriteLine(e.InnerException?.ToString());
                if (options.FailuresDirectory is { } directory)
                {
                    Directory.CreateDirectory(directory);
                    await File.WriteAllBytesAsync(Path.Combine(directory, $"{target.Name}-{i}"), input).ConfigureAwait(false);
                }
            }

            current.Finish();
            if ((i + 1) % 100_000 == 0)
            {
                Console.WriteLine($"  {FuzzCommand.Format(i + 1)} inputs, {failures} failures, {time.GetElapsedTime(started).TotalSeconds:F0} s");
            }
        }

        Console.WriteLine($"inputs {FuzzCommand.Format(options.Inputs)}, targets {targets.Count}, failures {FuzzCommand.Format(failures)}");
        return failures == 0 ? 0 : 1;
    }

    private static byte[] NextInput(Random random, FuzzTarget target, byte[]? previous)
    {
        var roll = random.Next(10);
        if (roll == 0)
        {
            var bytes = new byte[random.Next(0, random.Next(2) == 0 ? 64 : 4096)];
            random.NextBytes(bytes);
            return bytes;
        }

        var seeds = target.Seeds;
        var start = roll <= 3 && previous is not null ? previous : seeds[random.Next(seeds.Count)];
        var mutations = new Mutation[random.Next(1, 7)];
        for (var m = 0; m < mutations.Length; m++)
        {
            mutations[m] = Mutation.Random(random);
        }

        return Mutation.ApplyAll(start, mutations);
    }

    /// <summary>The command-line options of the mutation loop.</summary>
    internal sealed record Options(long Inputs, int Seed, IReadOnlyList<string> Targets, string? FailuresDirectory)
    {
        public static Options Parse(string[] args)
        {
            long inputs = 1_000_000;
            var seed = 1;
            var targets = new List<string>();
            string? failures = null;
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--inputs":
                        inputs = long.Parse(value, CultureInfo.InvariantCulture);
                        break;
                    case "--seed":
                        seed = int.Parse(value, CultureInfo.InvariantCulture);
                        break;
                    case "--target":
                        targets.Add(value);
                        break;
                    case "--failures":
                        failures = value;
                        break;
                    default:
                        throw new ArgumentException($"Unknown option '{args[i]}' (see --help).");
                }

                i++;
            }

            return new Options(inputs, seed, targets, failures);
        }
    }

    // The input being decoded, for the watchdog.
    private sealed class Current
    {
        private readonly Lock _lock = new();
        private FuzzTarget? _target;
        private byte[]? _input;
        private long _started;

        public void Start(FuzzTarget target, byte[] input, long timestamp)
        {
            lock (_lock)
            {
                (_target, _input, _started) = (target, input, timestamp);
            }
        }

        public void Finish()
        {
            lock (_lock)
            {
                _target = null;
            }
        }

        public void CheckForHang(TimeProvider time, TimeSpan limit)
        {
            lock (_lock)
            {
                if (_target is not null && time.GetElapsedTime(_started) > limit)
                {
                    Console.WriteLine($"HANG: {_target.Name} ran over {limit.TotalSeconds} s on input {Convert.ToHexString(_input!)}");
                    Environment.Exit(3);
                }
            }
        }
    }
}
