using Xunit.Abstractions;
using Xunit.Sdk;

namespace SlateDb.Testing.Xunit;

/// <summary>Turns each <see cref="SkippableFactAttribute"/> method into a <see cref="SkippableTestCase"/>.</summary>
public sealed class SkippableFactDiscoverer : IXunitTestCaseDiscoverer
{
    private readonly FactDiscoverer _factDiscoverer;
    private readonly IMessageSink _diagnosticMessageSink;

    public SkippableFactDiscoverer(IMessageSink diagnosticMessageSink)
    {
        _diagnosticMessageSink = diagnosticMessageSink;
        _factDiscoverer = new FactDiscoverer(diagnosticMessageSink);
    }

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        foreach (var testCase in _factDiscoverer.Discover(discoveryOptions, testMethod, factAttribute))
        {
            // Keep xunit's own error cases (a fact with parameters, ...) and skip-by-attribute cases as they are.
            if (testCase.GetType() == typeof(XunitTestCase))
            {
                yield return new SkippableTestCase(
                    _diagnosticMessageSink,
                    discoveryOptions.MethodDisplayOrDefault(),
                    discoveryOptions.MethodDisplayOptionsOrDefault(),
                    testMethod);
            }
            else
            {
                yield return testCase;
            }
        }
    }
}
