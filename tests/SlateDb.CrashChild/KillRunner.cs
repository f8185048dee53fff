using System.Diagnostics;
using System.Globalization;

namespace SlateDb.CrashChild;

/// <summary>What a kill run did.</summary>
/// <param name="Kills">Child processes killed with SIGKILL.</param>
/// <param name="WritesVerified">Acknowledged writes whose effect was checked after a kill.</param>
/// <param name="Lost">Acknowledged writes missing (or overwritten by an older value) after a kill.</param>
/// <param name="KilledBeforeOpen">Kills that landed before the child had opened the database (during startup or WAL replay).</param>
/// <param name="InDoubtApplied">Kills after which some write in flight turned out to be applied.</param>
public sealed record KillSummary(int Kills, long WritesVerified, long Lost, int KilledBeforeOpen, int InDoubtApplied)
{
    /// <summary>The one-line summary: <c>kills N, writes verified N, lost N</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"kills {Kills}, writes verified {WritesVerified}, lost {Lost} ({KilledBeforeOpen} kills before the open finished, {InDoubtApplied} with writes in flight applied)");
}

/// <summary>
/// The parent side of the kill test. Each round starts a child process (<see cref="ChildWriter"/>) on one of two
/// databases of local files (one with its WAL in the main store, one with a separate WAL store), kills it with
/// SIGKILL at a seeded moment (sometimes before it has opened the database, so during startup or WAL replay;
/// usually while it writes), reopens the database in this process and checks that the contents are exactly every
/// acknowledged write applied in seq order, plus possibly writes in flight at the kill (one writer, or four
/// concurrent ones whose durable writes share WAL objects). The next round's child
/// continues on the same data; its open fences the killed writer.
/// </summary>
public sealed class KillRunner
{
    private static readonly TimeSpan OpenLimit = TimeSpan.FromSeconds(60);

    private readonly string _directory;
    private readonly int _seed;
    private readonly Action<string> _log;

    /// <param name="directory">The folder the databases live in.</param>
    /// <param name="seed">Chooses each round's database, child seed and kill moment.</param>
    /// <param name="log">Receives one line per failure and progress every 50 kills.</param>
    public KillRunner(string directory, int seed, Action<string> log)
    {
        _directory = directory;
        _seed = seed;
        _log = log;
    }

    /// <summary>Runs <paramref name="kills"/> rounds; throws <see cref="InvalidOperationException"/> on the first lost write.</summary>
    public async Task<KillSummary> RunAsync(int kills, CancellationToken cancellationToken = default)
    {
        var random = new Random(_seed);
        CrashDatabase[] databases =
        [
            new(Path.Combine(_directory, "shared-wal"), separateWalStore: false),
            new(Path.Combine(_directory, "separate-wal"), separateWalStore: true),
        ];
        long verified = 0;
        var beforeOpen = 0;
        var inDoubtApplied = 0;
        for (var round = 0; round < kills; round++)
        {
            var database = databases[random.Next(databases.Length)];
            var childSeed = random.Next();
            var writers = random.Next(2) == 0 ? 1 : 4;
            var killEarly = random.Next(5) == 0;
            var delay = TimeSpan.FromMilliseconds(killEarly ? random.Next(0, 1000) : random.Next(0, 600));
            var context = $"seed {_seed}, round {round} ({(database.SeparateWalStore ? "separate WAL store" : "WAL in the main store")}, {writers} writers, child seed {childSeed}, kill {(killEarly ? "after" : "after the open +")} {delay.TotalMilliseconds} ms)";

            var output = await RunChildAsync(database, childSeed, round, writers, killEarly, delay, context, cancellationToken).ConfigureAwait(false);
            if (!output.Opened)
            {
                beforeOpen++;
            }

            var (acked, inDoubt) = Parse(output.Lines, context);
            foreach (var op in acked)
            {
                op.ApplyTo(database.Model);
            }

            var recovered = await ReadAllAsync(database, round, context, cancellationToken).ConfigureAwait(false);
            if (!SameContents(recovered, database.Model))
            {
                var lost = writers == 1 ? ExactCheck(database.Model, recovered, inDoubt) : PerKeyCheck(database.Model, recovered, inDoubt);
                if (lost.Count > 0)
                {
                    throw new InvalidOperationException(
                        $"{context}: {lost.Count} acknowledged writes lost or undone after the kill:\n  {string.Join("\n  ", lost.Take(20))}" +
                        $"\n(writes in flight: {(inDoubt.Count == 0 ? "none" : string.Join("; ", inDoubt.Select(o => o.Encode())))})");
                }

                // What the in-flight writes left is now the database's state, for the next round.
                database.Model.Clear();
                foreach (var (key, value) in recovered)
                {
                    database.Model[key] = value;
                }

                inDoubtApplied++;
            }

            verified += acked.Count;
            if ((round + 1) % 50 == 0)
            {
                _log(string.Create(CultureInfo.InvariantCulture, $"{round + 1} kills, {verified} writes verified"));
            }
        }

        return new KillSummary(kills, verified, Lost: 0, beforeOpen, inDoubtApplied);
    }

    private static async Task<ChildOutput> RunChildAsync(
        CrashDatabase database, int childSeed, int round, int writers, bool killEarly, TimeSpan delay, string context, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(KillRunner).Assembly.Location);
        foreach (var argument in Program.ChildArguments(database, childSeed, round, writers))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{context}: the child process did not start.");
        var lines = new List<string>();
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdout = Task.Run(
            async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
                {
                    lines.Add(line);
                    if (line == "open .")
                    {
                        opened.TrySetResult();
                    }
                }

                opened.TrySetResult();
            },
            CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (!killEarly)
            {
                await opened.Task.WaitAsync(OpenLimit, cancellationToken).ConfigureAwait(false);
            }

            // The kill moment itself is what is being drawn here, not a wait for a condition.
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);   // SIGKILL on Unix
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        var code = process.ExitCode;
        if (code != 137 && code != -1 && !OperatingSystem.IsWindows())
        {
            throw new InvalidOperationException($"{context}: the child exited by itself with code {code} before the kill:\n{errors}");
        }

        return new ChildOutput(lines, opened.Task.IsCompletedSuccessfully && lines.Contains("open ."));
    }

    /// <summary>
    /// The writes the child acknowledged, in seq order (the order they take effect in), and the ones it had begun but
    /// not acknowledged when it was killed.
    /// </summary>
    private static (List<ChildOp> Acked, List<ChildOp> InDoubt) Parse(List<string> lines, string context)
    {
        var begun = new Dictionary<long, ChildOp>();
        var acked = new List<(ulong Seq, ChildOp Op)>();
        foreach (var line in lines)
        {
            if (!line.EndsWith(" .", StringComparison.Ordinal))
            {
                continue;   // a torn last line, or output that is not ours
            }

            var parts = line[..^2].Split(' ', 3);
            if (parts[0] == "begin" && parts.Length == 3)
            {
                begun.Add(long.Parse(parts[1], CultureInfo.InvariantCulture), ChildOp.Decode(parts[2]));
            }
            else if (parts[0] == "ack" && parts.Length == 3)
            {
                var n = long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (!begun.Remove(n, out var op))
                {
                    throw new InvalidOperationException($"{context}: the child acknowledged write {n}, which it had not begun.");
                }

                acked.Add((ulong.Parse(parts[2], CultureInfo.InvariantCulture), op));
            }
        }

        return ([.. acked.OrderBy(a => a.Seq).Select(a => a.Op)], [.. begun.OrderBy(b => b.Key).Select(b => b.Value)]);
    }

    // One writer: at most one write in flight, ordered after every acknowledged one; the contents must be exactly the
    // acknowledged writes, with or without it (whole).
    private static List<string> ExactCheck(SortedDictionary<string, string> model, SortedDictionary<string, string> recovered, List<ChildOp> inDoubt)
    {
        if (inDoubt.Count == 1)
        {
            var withInDoubt = new SortedDictionary<string, string>(model, StringComparer.Ordinal);
            inDoubt[0].ApplyTo(withInDoubt);
            if (SameContents(recovered, withInDoubt))
            {
                return [];
            }
        }

        return [.. Differences(model, recovered).Select(d => d.Text)];
    }

    // Several writers: writes in flight may fall anywhere among the acknowledged ones in seq order. Each key must hold
    // its last acknowledged value or a value some write in flight gave it.
    private static List<string> PerKeyCheck(SortedDictionary<string, string> model, SortedDictionary<string, string> recovered, List<ChildOp> inDoubt)
    {
        var possible = new Dictionary<string, List<string?>>(StringComparer.Ordinal);
        foreach (var op in inDoubt)
        {
            var net = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (key, value) in op.Mutations)
            {
                net[key] = value;
            }

            foreach (var (key, value) in net)
            {
                (possible.TryGetValue(key, out var list) ? list : possible[key] = []).Add(value);
            }
        }

        return Differences(model, recovered)
            .Where(d => !(possible.TryGetValue(d.Key, out var values) && values.Contains(recovered.GetValueOrDefault(d.Key))))
            .Select(d => d.Text)
            .ToList();
    }

    /// <summary>Reopens the database in this process (replaying its WAL) and reads every key, by scan and by point lookup.</summary>
    private static async Task<SortedDictionary<string, string>> ReadAllAsync(CrashDatabase database, int round, string context, CancellationToken cancellationToken)
    {
        var settings = CrashDatabase.WriterSettings();
        settings.Compactor = null;
        Db db;
        try
        {
            db = await database.OpenAsync(settings, seed: -1 - round, cancellationToken).WaitAsync(OpenLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{context}: the database does not reopen after the kill: {ex}", ex);
        }

        await using (db.ConfigureAwait(false))
        {
            var contents = new SortedDictionary<string, string>(StringComparer.Ordinal);
            await foreach (var kv in db.ScanAsync(KeyRange.All, cancellationToken: cancellationToken))
            {
                contents.Add(System.Text.Encoding.UTF8.GetString(kv.Key.Span), System.Text.Encoding.UTF8.GetString(kv.Value.Span));
            }

            for (var i = 0; i < CrashDatabase.KeyCount; i++)
            {
                var key = "k" + i.ToString("D3", CultureInfo.InvariantCulture);
                var value = await db.GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
                var got = value is null ? null : System.Text.Encoding.UTF8.GetString(value);
                if (got != contents.GetValueOrDefault(key))
                {
                    throw new InvalidOperationException($"{context}: a get of {key} returned {got ?? "nothing"} but the scan returned {contents.GetValueOrDefault(key) ?? "nothing"}.");
                }
            }

            await db.CloseAsync(cancellationToken).ConfigureAwait(false);
            return contents;
        }
    }

    private static bool SameContents(SortedDictionary<string, string> a, SortedDictionary<string, string> b)
        => a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static List<(string Key, string Text)> Differences(SortedDictionary<string, string> expected, SortedDictionary<string, string> recovered)
    {
        var keys = new SortedSet<string>(expected.Keys, StringComparer.Ordinal);
        keys.UnionWith(recovered.Keys);
        return keys
            .Where(k => expected.GetValueOrDefault(k) != recovered.GetValueOrDefault(k))
            .Select(k => (k, $"{k}: expected {Show(expected.GetValueOrDefault(k))}, found {Show(recovered.GetValueOrDefault(k))}"))
            .ToList();
    }

    private static string Show(string? value) => value is null ? "nothing" : value.Length > 24 ? value[..24] + "…" : value;

    /// <summary>The <c>dotnet</c> executable that runs this process (the child runs on the same runtime).</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private sealed record ChildOutput(List<string> Lines, bool Opened);
}
