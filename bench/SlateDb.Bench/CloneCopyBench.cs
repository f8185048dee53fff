using System.Diagnostics;
using System.Globalization;
using SlateDb.Admin;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;

namespace SlateDb.Bench;

/// <summary>
/// clone / copy: a large database on local files (unique random values, flushed to L0 and closed), then either a clone
/// timed with the requests and bytes it stores (a clone copies only WAL objects, so it is a few small PUTs whatever
/// the size), or <see cref="DbAdmin.CopyAsync"/> to a second local-file store timed side by side with <c>cp -r</c> of
/// the same folder in the same run.
/// </summary>
internal static class CloneCopyBench
{
    private const string DbPath = "db";
    private static readonly TimeProvider Clock = TimeProvider.System;

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var root = o.Store is { } spec && spec.StartsWith("file:", StringComparison.Ordinal)
            ? Path.GetFullPath(spec["file:".Length..])
            : Path.Combine(Path.GetTempPath(), $"slatedb-bench-{o.Workload}-{Environment.ProcessId}");
        var source = Path.Combine(root, "source");
        try
        {
            Directory.CreateDirectory(source);
            var store = new LocalFileSystemObjectStore(source);
            var bytes = await FillAsync(store, o);
            Console.WriteLine($"database: {o.EffectiveNum:N0} keys of {o.KeySize} + {o.ValueSize} B, {Mib(bytes)} on disk under {source}");
            if (o.Workload == "clone")
            {
                await CloneAsync(store, new KeySource(o).Key(0));
            }
            else
            {
                await CopyAsync(store, root, source, bytes);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        return 0;
    }

    private static async Task<long> FillAsync(LocalFileSystemObjectStore store, BenchOptions o)
    {
        var keys = new KeySource(o);
        var random = new DbRandom((ulong)o.Seed);
        var value = new byte[o.ValueSize];
        var start = Clock.GetTimestamp();
        await using (var db = await Db.Builder(DbPath, store).WithSeed(o.Seed).BuildAsync())
        {
            for (long i = 0; i < o.EffectiveNum; i++)
            {
                random.NextBytes(value);    // unique values: nothing deduplicates or compresses them
                await db.PutAsync(keys.Key(i), value, new WriteOptions { AwaitDurable = false });
            }

            await db.FlushAsync(FlushType.MemTable);
        }

        Console.WriteLine($"fill: {Clock.GetElapsedTime(start).TotalSeconds:F1} s (not part of the measurements)");

        // Everything is in L0 and the manifest's WAL replay range is empty after the close: the WAL objects are garbage
        // (GC would delete them), so the folder holds exactly what a copy must move and cp -r copies the same bytes.
        var wal = new List<string>();
        await foreach (var meta in store.ListAsync(DbPath + "/wal/"))
        {
            wal.Add(meta.Path);
        }

        foreach (var path in wal)
        {
            await store.DeleteAsync(path);
        }

        long bytes = 0;
        await foreach (var meta in store.ListAsync(DbPath + "/"))
        {
            bytes += meta.Size;
        }

        return bytes;
    }

    private static async Task CloneAsync(LocalFileSystemObjectStore store, byte[] firstKey)
    {
        var counted = new InstrumentedObjectStore(store);
        var start = Clock.GetTimestamp();
        var result = await DbAdmin.CreateCloneAsync("clone", DbPath, counted);
        var elapsed = Clock.GetElapsedTime(start);
        var stats = counted.Snapshot();
        Console.WriteLine();
        Console.WriteLine("clone");
        Console.WriteLine($"  time            {elapsed.TotalMilliseconds:F1} ms");
        Console.WriteLine($"  PUTs            {stats.Puts} ({stats.BytesWritten:N0} bytes written; {result.WalObjectsCopied} WAL objects copied)");
        Console.WriteLine($"  other requests  {stats.Gets} GET, {stats.Heads} HEAD, {stats.Lists} LIST, {stats.Copies} COPY");
        await using var clone = await Db.OpenAsync("clone", store);
        Console.WriteLine($"  the clone opens and reads: first key present = {await clone.GetAsync(firstKey) is not null}");
    }

    private static async Task CopyAsync(LocalFileSystemObjectStore store, string root, string source, long bytes)
    {
        var destination = Path.Combine(root, "copy");
        var cpDestination = Path.Combine(root, "cp");
        Directory.CreateDirectory(destination);
        var start = Clock.GetTimestamp();
        var result = await DbAdmin.CopyAsync(DbPath, store, DbPath, new LocalFileSystemObjectStore(destination));
        var copyTime = Clock.GetElapsedTime(start);

        start = Clock.GetTimestamp();
        using (var cp = Process.Start("cp", ["-r", Path.Combine(source, DbPath), cpDestination]))
        {
            await cp.WaitForExitAsync();
            if (cp.ExitCode != 0)
            {
                throw new InvalidOperationException($"cp -r exited with {cp.ExitCode}.");
            }
        }

        var cpTime = Clock.GetElapsedTime(start);
        Console.WriteLine();
        Console.WriteLine("copy (DbAdmin.CopyAsync, local files to local files, verified) vs cp -r of the same folder");
        Console.WriteLine($"  CopyAsync       {copyTime.TotalSeconds:F2} s, {Mib(result.BytesWritten)} written ({result.SstsCopied} SSTs, {result.WalObjectsCopied} WAL objects), {Mib((long)(bytes / copyTime.TotalSeconds))}/s");
        Console.WriteLine($"  cp -r           {cpTime.TotalSeconds:F2} s, {Mib((long)(bytes / cpTime.TotalSeconds))}/s");
        Console.WriteLine($"  cp_time / copy_time = {(cpTime / copyTime).ToString("F2", CultureInfo.InvariantCulture)} (goal >= 0.5)");
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
