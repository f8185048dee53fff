using SlateDb.Admin.Tests.Cli;
using SlateDb.ObjectStore;
using SlateDb.Testing;
using Xunit;

namespace SlateDb.Admin.Tests;

/// <summary>
/// <see cref="DbAdmin"/> and the <c>slatedb</c> command line fed wrong arguments: each row names the call, the exact
/// exception type (or exit code) and a fragment its message must hold (the argument, id or object).
/// </summary>
public sealed class BadInputAdminTests
{
    private static readonly Guid Unknown = new("00000000-0000-0000-0000-0000000000cc");

    /// <summary>One bad admin call against a store holding the database <c>db</c>.</summary>
    public sealed record Case(string Name, Func<InMemoryObjectStore, Task> Act, Type Expected, string Fragment)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<string> Names() => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_bad_admin_call_raises_its_exact_exception_naming_the_problem(string name)
    {
        var row = Cases.Single(c => c.Name == name);
        var (store, _) = await AdminKit.CreatedAsync();
        var e = await Record.ExceptionAsync(() => row.Act(store));
        Assert.True(e is not null, $"{name}: nothing was thrown; expected {row.Expected.Name}");
        Assert.True(e.GetType() == row.Expected, $"{name}: {e.GetType().Name} ({e.Message}); expected {row.Expected.Name}");
        Assert.True(e.Message.Contains(row.Fragment, StringComparison.OrdinalIgnoreCase), $"{name}: the message \"{e.Message}\" does not name \"{row.Fragment}\"");
    }

    private static DbAdmin Admin(IObjectStore store, string path = AdminKit.DbPath) => new(path, store);

    private static readonly IReadOnlyList<Case> Cases =
    [
        new("new DbAdmin null path", s => Task.FromResult(new DbAdmin(null!, s)), typeof(ArgumentNullException), "path"),
        new("new DbAdmin null store", s => Task.FromResult(new DbAdmin("db", null!)), typeof(ArgumentNullException), "store"),
        new("new DbAdmin bad path", s => Task.FromResult(new DbAdmin("a/./b", s)), typeof(ArgumentException), "'a/./b'"),
        new("ReadManifestAsync missing database", s => Admin(s, "nothing-here").ReadManifestAsync(), typeof(SlateDbException), "nothing-here"),
        new("ReadManifestAsync unknown id", s => Admin(s).ReadManifestAsync(999_999), typeof(SlateDbException), "999999"),
        new("ListManifestsAsync inverted range", s => Admin(s).ListManifestsAsync(5, 2), typeof(ArgumentException), "fromId 5 is greater than toId 2"),
        new("RefreshCheckpointAsync unknown id", s => Admin(s).RefreshCheckpointAsync(Unknown, TimeSpan.FromHours(1)), typeof(SlateDbException), "000000cc"),
        new("RefreshCheckpointAsync negative lifetime", s => Admin(s).RefreshCheckpointAsync(Unknown, TimeSpan.FromSeconds(-1)), typeof(ArgumentOutOfRangeException), "lifetime"),
        new("CreateCheckpointAsync unknown source", s => Admin(s).CreateCheckpointAsync(new CheckpointOptions { Source = Unknown }), typeof(SlateDbException), "000000cc"),
        new("VerifyAsync unknown checkpoint", s => Admin(s).VerifyAsync(Unknown), typeof(SlateDbException), "000000cc"),
        new("RunGarbageCollectionAsync negative MinAge", s => Admin(s).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.FromSeconds(-1) }), typeof(ArgumentOutOfRangeException), "MinAge"),
        new("CreateCloneAsync clone onto its parent", s => DbAdmin.CreateCloneAsync("db", "db", s), typeof(ArgumentException), "db"),
        new("CreateCloneAsync bad clone path", s => DbAdmin.CreateCloneAsync("/abs", "db", s), typeof(ArgumentException), "'/abs'"),
        new("CreateCloneAsync missing parent", s => DbAdmin.CreateCloneAsync("clone", "nothing-here", s), typeof(SlateDbException), "nothing-here"),
        new("CreateCloneAsync unknown parent checkpoint", s => DbAdmin.CreateCloneAsync("clone", "db", s, Unknown), typeof(SlateDbException), "000000cc"),
        new("CopyAsync onto the source", s => DbAdmin.CopyAsync("db", s, "db", s), typeof(ArgumentException), "db"),
        new("CopyAsync null destination store", s => DbAdmin.CopyAsync("db", s, "copy", null!), typeof(ArgumentNullException), "destinationStore"),
        new("CopyAsync unknown checkpoint", s => DbAdmin.CopyAsync("db", s, "copy", s, Unknown), typeof(SlateDbException), "000000cc"),
    ];

    /// <summary>The command line: exit code 2 for usage errors, 3 for what does not exist, and the message on stderr.</summary>
    [Theory]
    [InlineData(2, "--id", "delete-checkpoint", "--id", "not-a-guid")]
    [InlineData(2, "--lifetime", "create-checkpoint", "--lifetime", "soon")]
    [InlineData(2, "--id", "read-manifest", "--id", "-1")]
    [InlineData(2, "--limit", "scan", "--limit", "many")]
    [InlineData(2, "--min-age", "gc", "--min-age", "-00:00:01")]
    [InlineData(2, "gs://x", "--store", "gs://x", "list-checkpoints")]
    [InlineData(2, "'..'", "--path", "a/../b", "list-checkpoints")]
    [InlineData(2, "empty", "put", "", "v")]
    [InlineData(2, "fromId 5 is greater than toId 2", "list-manifests", "--start", "5", "--end", "2")]
    [InlineData(3, "999999", "read-manifest", "--id", "999999")]
    [InlineData(3, "00000000-0000-0000-0000-0000000000cc", "refresh-checkpoint", "--id", "00000000-0000-0000-0000-0000000000cc")]
    [InlineData(3, "00000000-0000-0000-0000-0000000000cc", "get", "k", "--checkpoint", "00000000-0000-0000-0000-0000000000cc")]
    public async Task A_bad_command_line_exits_with_its_code_and_names_the_problem(int code, string fragment, params string[] args)
    {
        using var dir = new TempDirectory("cli-bad-input");
        var store = "file://" + dir.FullPath;
        var full = new List<string>();
        if (!args.Contains("--store"))
        {
            full.AddRange(["--store", store]);
        }

        if (!args.Contains("--path"))
        {
            full.AddRange(["--path", "db"]);
        }

        full.AddRange(args);
        Assert.Equal(0, (await SlateDbTool.RunAsync(["--store", store, "--path", "db", "put", "k", "v"])).Code);
        var (exit, _, err) = await SlateDbTool.RunAsync([.. full]);
        Assert.True(exit == code, $"{string.Join(' ', args)}: exit {exit}, expected {code}; stderr: {err}");
        Assert.True(err.Contains(fragment, StringComparison.OrdinalIgnoreCase), $"{string.Join(' ', args)}: stderr \"{err}\" does not name \"{fragment}\"");
    }
}
