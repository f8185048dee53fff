namespace SlateDb.Testing.Fuzzing;

/// <summary>A parser failed on a fuzzed input in a way it must not; the message carries the input in hex.</summary>
public sealed class FuzzFailureException : Exception
{
    /// <summary>Creates the failure of <paramref name="target"/> on <paramref name="input"/>.</summary>
    public FuzzFailureException(string target, byte[] input, string problem, Exception? innerException = null)
        : base($"{target}: {problem} (input of {input.Length} bytes: {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 4096)))}{(input.Length > 4096 ? "..." : "")})", innerException)
    {
        Target = target;
        Input = input;
        Problem = problem;
    }

    /// <summary>The target that failed.</summary>
    public string Target { get; }

    /// <summary>The input that made it fail.</summary>
    public byte[] Input { get; }

    /// <summary>What went wrong, without the input.</summary>
    public string Problem { get; }
}
