using SlateDb.Testing.Fuzzing;

namespace SlateDb.Fuzz;

/// <summary>
/// The coverage-guided entry: SharpFuzz's AFL loop feeds each input from AFL++ to one target. A failure is let out
/// as an unhandled exception, which AFL records as a crash (the target's own refusals are caught inside it).
/// </summary>
internal static class AflEntry
{
    public static void Run(FuzzTarget target)
        => SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var task = target.RunAsync(buffer.ToArray());
            if (!task.IsCompleted)
            {
                throw new InvalidOperationException($"Target {target.Name} did not complete synchronously; in-memory decoding never waits.");
            }

            task.GetAwaiter().GetResult();
        });
}
