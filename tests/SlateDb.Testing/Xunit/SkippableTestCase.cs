using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SlateDb.Testing.Xunit;

/// <summary>
/// A test case that reports a run ending in <see cref="SkipTestException"/> as skipped: its message bus turns
/// that failure into a skip, and the run summary moves the test from failed to skipped.
/// </summary>
public sealed class SkippableTestCase : XunitTestCase
{
    /// <summary>For xunit's deserializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes", error: true)]
    public SkippableTestCase()
    {
    }

    public SkippableTestCase(
        IMessageSink diagnosticMessageSink,
        TestMethodDisplay defaultMethodDisplay,
        TestMethodDisplayOptions defaultMethodDisplayOptions,
        ITestMethod testMethod,
        object[]? testMethodArguments = null)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod, testMethodArguments)
    {
    }

    public override async Task<RunSummary> RunAsync(
        IMessageSink diagnosticMessageSink,
        IMessageBus messageBus,
        object[] constructorArguments,
        ExceptionAggregator aggregator,
        CancellationTokenSource cancellationTokenSource)
    {
        using var skippingBus = new SkippingMessageBus(messageBus);
        var summary = await base.RunAsync(diagnosticMessageSink, skippingBus, constructorArguments, aggregator, cancellationTokenSource);
        if (skippingBus.SkippedCount > 0)
        {
            summary.Failed -= skippingBus.SkippedCount;
            summary.Skipped += skippingBus.SkippedCount;
        }

        return summary;
    }

    private sealed class SkippingMessageBus : IMessageBus
    {
        private static readonly string SkipExceptionName = typeof(SkipTestException).FullName!;
        private readonly IMessageBus _inner;

        public SkippingMessageBus(IMessageBus inner) => _inner = inner;

        public int SkippedCount { get; private set; }

        public bool QueueMessage(IMessageSinkMessage message)
        {
            if (message is ITestFailed failed
                && failed.ExceptionTypes.Length > 0
                && failed.ExceptionTypes[0] == SkipExceptionName)
            {
                SkippedCount++;
                return _inner.QueueMessage(new TestSkipped(failed.Test, failed.Messages[0]));
            }

            return _inner.QueueMessage(message);
        }

        public void Dispose()
        {
            // The inner bus belongs to the caller.
        }
    }
}
