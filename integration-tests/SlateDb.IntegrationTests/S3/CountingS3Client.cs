using System.Collections.Concurrent;
using System.Reflection;
using Amazon.S3;

namespace SlateDb.IntegrationTests.S3;

/// <summary>
/// An <see cref="IAmazonS3"/> that forwards every call to a real client and counts the calls by method name, and
/// can fail the Nth call of a method, so tests see which requests a store sent.
/// </summary>
public class CountingS3Client : DispatchProxy
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private IAmazonS3 _inner = null!;
    private (string Method, int Call, Exception Error)? _failure;

    public static (IAmazonS3 Client, CountingS3Client Counter) Wrap(IAmazonS3 inner)
    {
        var proxy = Create<IAmazonS3, CountingS3Client>();
        var counter = (CountingS3Client)(object)proxy;
        counter._inner = inner;
        return (proxy, counter);
    }

    /// <summary>How many times <paramref name="method"/> (e.g. <c>nameof(IAmazonS3.UploadPartAsync)</c>) was called.</summary>
    public int Count(string method) => _calls.GetValueOrDefault(method);

    /// <summary>Makes call number <paramref name="call"/> (1-based) of <paramref name="method"/> throw <paramref name="error"/> without sending it.</summary>
    public void FailCall(string method, int call, Exception error) => _failure = (method, call, error);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var n = _calls.AddOrUpdate(targetMethod.Name, 1, (_, c) => c + 1);
        if (_failure is { } f && f.Method == targetMethod.Name && f.Call == n)
        {
            throw f.Error;
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
