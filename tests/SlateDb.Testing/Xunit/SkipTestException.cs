namespace SlateDb.Testing.Xunit;

/// <summary>
/// Thrown by <see cref="Skip"/> to end a <see cref="SkippableFactAttribute"/> test as skipped. Anywhere else it
/// is an ordinary exception and fails the test.
/// </summary>
public sealed class SkipTestException : Exception
{
    public SkipTestException(string reason)
        : base(reason)
    {
    }

    public SkipTestException()
        : base("Skipped")
    {
    }

    public SkipTestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
