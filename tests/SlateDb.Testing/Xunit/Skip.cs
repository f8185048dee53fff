namespace SlateDb.Testing.Xunit;

/// <summary>Ends a <see cref="SkippableFactAttribute"/> test as skipped when a condition holds.</summary>
public static class Skip
{
    /// <summary>Skips the running test with <paramref name="reason"/> when <paramref name="condition"/> is true.</summary>
    public static void If(bool condition, string? reason)
    {
        if (condition)
        {
            throw new SkipTestException(reason ?? "Skipped");
        }
    }

    /// <summary>Skips the running test with <paramref name="reason"/> unless <paramref name="condition"/> is true.</summary>
    public static void Unless(bool condition, string? reason) => If(!condition, reason);
}
