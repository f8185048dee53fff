using Xunit;
using Xunit.Sdk;

namespace SlateDb.Testing.Xunit;

/// <summary>
/// A <see cref="FactAttribute"/> whose test is reported as skipped (not failed) when it throws
/// <see cref="SkipTestException"/>, for example through <see cref="Skip.If"/>. Any other failure stays a failure.
/// </summary>
[XunitTestCaseDiscoverer("SlateDb.Testing.Xunit.SkippableFactDiscoverer", "SlateDb.Testing")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SkippableFactAttribute : FactAttribute
{
}
