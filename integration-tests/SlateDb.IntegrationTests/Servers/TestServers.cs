using SlateDb.Testing.Xunit;

namespace SlateDb.IntegrationTests.Servers;

/// <summary>
/// Where the integration tests find their servers. <c>./scripts/test.sh</c> starts Ceph radosgw and Azurite and
/// exports the <c>SLATEDB_TEST_*</c> variables read here; run directly with <c>dotnet test</c>, without them, the
/// server tests report Skipped. With <c>SLATEDB_TEST_REQUIRE_SERVERS=1</c> (set by the script) a missing server
/// is a failure instead.
/// </summary>
internal static class TestServers
{
    public const string HowToRun = "run ./scripts/test.sh, which starts Ceph radosgw and Azurite and exports the SLATEDB_TEST_* variables";

    /// <summary>A run-unique key prefix, so runs against a long-lived server never see each other's objects.</summary>
    public static readonly string RunPrefix = $"it-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}"[..36];

    public static bool Required => Environment.GetEnvironmentVariable("SLATEDB_TEST_REQUIRE_SERVERS") == "1";

    /// <summary>The S3 server from SLATEDB_TEST_S3_*; null when SLATEDB_TEST_S3_ENDPOINT is unset.</summary>
    public static S3Server? S3 { get; } = S3Server.FromEnvironment();

    /// <summary>The Azure Blob account from SLATEDB_TEST_AZURE_CONNECTION_STRING; null when unset.</summary>
    public static AzureServer? Azure { get; } = AzureServer.FromEnvironment();

    /// <summary>
    /// The reason to skip tests of a server that is not configured; null when it is configured, or when servers are
    /// required (then <see cref="Require{T}"/> fails the test instead).
    /// </summary>
    public static string? SkipReason(object? server, string name, string variable) =>
        server is not null || Required ? null : $"{name} is not configured ({variable} is not set): {HowToRun}";

    /// <summary>Returns <paramref name="server"/>, or fails the test saying which variable is missing.</summary>
    public static T Require<T>(T? server, string name, string variable)
        where T : class =>
        server ?? throw new InvalidOperationException($"{name} is required (SLATEDB_TEST_REQUIRE_SERVERS=1) but {variable} is not set: {HowToRun}");

    /// <summary>The S3 server, or skips the running <c>[SkippableFact]</c> (fails it when servers are required).</summary>
    public static S3Server S3OrSkip() => OrSkip(S3, "The S3 test server", "SLATEDB_TEST_S3_ENDPOINT");

    /// <summary>The Azure Blob server, or skips the running <c>[SkippableFact]</c> (fails it when servers are required).</summary>
    public static AzureServer AzureOrSkip() => OrSkip(Azure, "The Azure Blob test server", "SLATEDB_TEST_AZURE_CONNECTION_STRING");

    /// <summary>A fresh key prefix for one test.</summary>
    public static string UniquePrefix(string kind) => $"{RunPrefix}/{kind}/{Guid.NewGuid():N}";

    private static T OrSkip<T>(T? server, string name, string variable)
        where T : class
    {
        var reason = SkipReason(server, name, variable);
        Skip.If(reason is not null, reason);
        return Require(server, name, variable);
    }

    internal static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
