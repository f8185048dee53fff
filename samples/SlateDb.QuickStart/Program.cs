using System.Text;
using SlateDb;
using SlateDb.ObjectStore;

// A database in ./data/main whose write-ahead log lives in a separate store, ./data/wal. Both stores count
// their requests. Run it twice: the second run finds the first run's data.
var main = new InstrumentedObjectStore(new LocalFileSystemObjectStore(Path.GetFullPath("data/main")));
var wal = new InstrumentedObjectStore(new LocalFileSystemObjectStore(Path.GetFullPath("data/wal")));
Task<Db> OpenAsync() => Db.Builder("quickstart", main).WithWalObjectStore(wal).BuildAsync();
static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

int run, users = 0;
await using (var db = await OpenAsync())
{
    run = await db.GetAsync("meta:runs") is { } runs ? int.Parse(Text(runs)) + 1 : 1;
    await foreach (var _ in db.ScanAsync(KeyRange.Prefix("user:"))) users++;
    Console.WriteLine(run == 1 ? "A new database in ./data." : $"Found {users} keys from a previous run (this is run {run}).");

    using var batch = new WriteBatch();                      // atomic: all of it or none of it
    foreach (var name in new[] { "ada", "alan", "grace", "linus" }) batch.Put($"user:{run:D4}:{name}", $"{name}, run {run}");
    batch.Put("meta:runs", run.ToString());
    await db.WriteAsync(batch);                              // returns once the WAL object is stored (durable)
    await db.DeleteAsync($"user:{run:D4}:linus");
    Console.WriteLine($"Wrote 4 users and the run counter in one batch, deleted user:{run:D4}:linus.");
    Console.WriteLine($"get user:{run:D4}:ada -> {Text(await db.GetAsync($"user:{run:D4}:ada"))}");
    await foreach (var kv in db.ScanAsync(KeyRange.Prefix($"user:{run:D4}:")))
        Console.WriteLine($"scan {Text(kv.Key)} = {Text(kv.Value)} (seq {kv.Seq})");
    await db.FlushAsync(FlushType.MemTable);                 // memtable -> an L0 table in data/main
    Console.WriteLine("Flushed the memtable to an L0 table; closing and reopening.");
}

await using (var db = await OpenAsync())                     // reopen and verify
{
    var found = 0;
    await foreach (var _ in db.ScanAsync(KeyRange.Prefix("user:"))) found++;
    var ok = found == users + 3 && Text(await db.GetAsync("meta:runs")) == run.ToString()
             && await db.GetAsync($"user:{run:D4}:linus") is null;
    Console.WriteLine($"Reopened: {found} user keys, run counter {run}: {(ok ? "verified" : "VERIFICATION FAILED")}.");
    Console.WriteLine($"main store ({main.Uri}): {main.Snapshot()}");
    Console.WriteLine($"WAL store  ({wal.Uri}): {wal.Snapshot()}");
    return ok ? 0 : 1;
}
