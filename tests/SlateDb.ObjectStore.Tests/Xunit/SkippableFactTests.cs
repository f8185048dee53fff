using SlateDb.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SlateDb.ObjectStore.Tests.Xunit;

/// <summary>Runs <see cref="SkippableTestCase"/> over sample methods and checks what xunit is told.</summary>
public sealed class SkippableFactTests
{
    [Fact]
    public async Task A_test_that_calls_Skip_is_reported_as_skipped_with_its_reason()
    {
        var (summary, messages) = await RunAsync<Samples>(nameof(Samples.SkipsWithReason));
        Assert.Equal(1, summary.Total);
        Assert.Equal(1, summary.Skipped);
        Assert.Equal(0, summary.Failed);
        var skipped = Assert.Single(messages.OfType<ITestSkipped>());
        Assert.Equal("no server here", skipped.Reason);
        Assert.Empty(messages.OfType<ITestFailed>());
    }

    [Fact]
    public async Task A_skip_thrown_from_InitializeAsync_is_reported_as_skipped()
    {
        var (summary, messages) = await RunAsync<SamplesSkippedInInitialize>(nameof(SamplesSkippedInInitialize.NeverRuns));
        Assert.Equal(1, summary.Skipped);
        Assert.Equal(0, summary.Failed);
        Assert.Equal("skipped while initializing", Assert.Single(messages.OfType<ITestSkipped>()).Reason);
    }

    [Fact]
    public async Task A_failing_test_stays_a_failure()
    {
        var (summary, messages) = await RunAsync<Samples>(nameof(Samples.Fails));
        Assert.Equal(1, summary.Failed);
        Assert.Equal(0, summary.Skipped);
        Assert.Empty(messages.OfType<ITestSkipped>());
        var failed = Assert.Single(messages.OfType<ITestFailed>());
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.ExceptionTypes[0]);
    }

    [Fact]
    public async Task A_passing_test_passes_and_Skip_If_false_does_nothing()
    {
        var (summary, messages) = await RunAsync<Samples>(nameof(Samples.Passes));
        Assert.Equal(1, summary.Total);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(0, summary.Skipped);
        Assert.Single(messages.OfType<ITestPassed>());
    }

    [Fact]
    public void The_discoverer_produces_skippable_test_cases()
    {
        var sink = new NullMessageSink();
        var method = TestMethodFor<Samples>(nameof(Samples.Passes));
        var options = new DefaultDiscoveryOptions();
        var attribute = method.Method.GetCustomAttributes(typeof(SkippableFactAttribute)).Single();
        var cases = new SkippableFactDiscoverer(sink).Discover(options, method, attribute).ToList();
        Assert.IsType<SkippableTestCase>(Assert.Single(cases));
    }

    private static async Task<(RunSummary Summary, List<IMessageSinkMessage> Messages)> RunAsync<TClass>(string methodName)
    {
        var sink = new NullMessageSink();
        var testCase = new SkippableTestCase(sink, TestMethodDisplay.ClassAndMethod, TestMethodDisplayOptions.None, TestMethodFor<TClass>(methodName));
        var bus = new CollectingMessageBus();
        using var cancellation = new CancellationTokenSource();
        var summary = await testCase.RunAsync(sink, bus, [], new ExceptionAggregator(), cancellation);
        return (summary, bus.Messages);
    }

    private static TestMethod TestMethodFor<TClass>(string methodName)
    {
        var assembly = new TestAssembly(Reflector.Wrap(typeof(TClass).Assembly));
        var collection = new TestCollection(assembly, null, "samples");
        var testClass = new TestClass(collection, Reflector.Wrap(typeof(TClass)));
        return new TestMethod(testClass, Reflector.Wrap(typeof(TClass).GetMethod(methodName)!));
    }

    private sealed class CollectingMessageBus : IMessageBus
    {
        public List<IMessageSinkMessage> Messages { get; } = [];

        public bool QueueMessage(IMessageSinkMessage message)
        {
            lock (Messages)
            {
                Messages.Add(message);
            }

            return true;
        }

        public void Dispose()
        {
        }
    }

    private sealed class DefaultDiscoveryOptions : ITestFrameworkDiscoveryOptions
    {
        public TValue GetValue<TValue>(string name) => default!;

        public void SetValue<TValue>(string name, TValue value)
        {
        }
    }

#pragma warning disable xUnit1000 // Private, so xunit's discovery never runs these samples on their own.
    private sealed class Samples
    {
        [SkippableFact]
        public void SkipsWithReason() => Skip.If(true, "no server here");

        [SkippableFact]
        public void Fails() => throw new InvalidOperationException("a real failure");

        [SkippableFact]
        public void Passes() => Skip.If(false, "not skipped");
    }

    private sealed class SamplesSkippedInInitialize : IAsyncLifetime
    {
        public Task InitializeAsync() => throw new SkipTestException("skipped while initializing");

        public Task DisposeAsync() => Task.CompletedTask;

        [SkippableFact]
        public void NeverRuns() => throw new InvalidOperationException("must not run");
    }
#pragma warning restore xUnit1000
}
