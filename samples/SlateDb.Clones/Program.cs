// Checkpoints and clones, end to end on local files: a database keeps its WAL in a separate store, takes writes,
// makes a full-scope checkpoint, loses its WAL store (an ephemeral disk), and is cloned from the checkpoint into a new
// WAL store; the clone has every key, and its writes do not reach the parent. Then a self-contained copy, verified.
using SlateDb;
using SlateDb.Admin;
using SlateDb.ObjectStore;

var root = Path.Combine(Path.GetTempPath(), $"slatedb-clones-{Guid.NewGuid():N}");
try
{
    var store = new LocalFileSystemObjectStore(Path.Combine(root, "main"));
    var walStore = new LocalFileSystemObjectStore(Path.Combine(root, "wal"));

    // 1. A database with a separate WAL store takes writes.
    CheckpointResult checkpoint;
    await using (var db = await Db.Builder("orders", store).WithWalObjectStore(walStore).BuildAsync())
    {
        for (var i = 0; i < 1000; i++)
        {
            await db.PutAsync($"order:{i:D4}", $"pending-{i}", new WriteOptions { AwaitDurable = false });
        }

        await db.FlushAsync();

        // 2. A full-scope checkpoint: the WAL and the memtable go to L0 first; lives for a day.
        checkpoint = await db.CreateCheckpointAsync(CheckpointScope.All, new CheckpointOptions { Lifetime = TimeSpan.FromDays(1), Name = "before-move" });
        Console.WriteLine($"checkpoint {checkpoint.Id} pins manifest {checkpoint.ManifestId}");
    }

    // 3. The WAL store is lost.
    Directory.Delete(Path.Combine(root, "wal"), recursive: true);

    // 4. Clone from the checkpoint into a new WAL store: only the WAL range is copied; the SSTs are read in place.
    var cloneWal = new LocalFileSystemObjectStore(Path.Combine(root, "clone-wal"));
    var clone = await DbAdmin.CreateCloneAsync(
        clonePath: "orders-copy", parentPath: "orders", store, parentCheckpoint: checkpoint.Id,
        walStore: cloneWal, parentWalStore: new LocalFileSystemObjectStore(Path.Combine(root, "wal")));
    Console.WriteLine($"clone: {clone.WalObjectsCopied} WAL objects copied, {clone.WalObjectsSkipped} skipped (already in L0)");

    await using (var copy = await Db.Builder("orders-copy", store).WithWalObjectStore(cloneWal).BuildAsync())
    {
        var found = 0;
        await foreach (var kv in copy.ScanAsync(KeyRange.Prefix("order:")))
        {
            found++;
        }

        await copy.PutAsync("order:9999", "clone-only");
        Console.WriteLine($"clone reads {found} orders; order:0042 = {System.Text.Encoding.UTF8.GetString((await copy.GetAsync("order:0042"))!)}");
        if (found != 1000)
        {
            throw new InvalidOperationException($"The clone holds {found} orders, not 1000.");
        }
    }

    // 5. A self-contained copy of the clone in another store (here another folder), verified at the end.
    var backup = new LocalFileSystemObjectStore(Path.Combine(root, "backup"));
    var copied = await DbAdmin.CopyAsync("orders-copy", store, "orders", backup, sourceWalStore: cloneWal);
    var report = await new DbAdmin("orders", backup).VerifyAsync();
    Console.WriteLine($"copy: {copied.SstsCopied} SSTs, {copied.BytesWritten} bytes; verify: {(report.IsHealthy ? "healthy" : "PROBLEMS")}, {report.ObjectsChecked} objects");
    if (!report.IsHealthy)
    {
        throw new InvalidOperationException(string.Join(Environment.NewLine, report.Problems.Select(p => $"{p.Path}: {p.Message}")));
    }

    // The parent never sees the clone's writes.
    await using (var parent = await Db.Builder("orders", store).WithWalObjectStore(new LocalFileSystemObjectStore(Path.Combine(root, "wal"))).BuildAsync())
    {
        Console.WriteLine($"parent order:9999 = {(await parent.GetAsync("order:9999") is null ? "absent" : "present")}");
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}
