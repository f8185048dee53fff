using SlateDb.Admin;
using SlateDb.ObjectStore;
using SlateDb.Testing;
using SlateDb.Testing.Simulation;
using SlateDb.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Reliability.Tests.LostFsync;

/// <summary>
/// Crashes that lose everything not fsynced (<see cref="DurableTreeRecorder"/>): a missing fsync of a file or of a
/// folder shows up as a lost acknowledged write or a database that does not open.
/// </summary>
public sealed class LostFsyncTests(ITestOutputHelper output)
{
    private const int Seed = 11;

    [SkippableFact]
    public async Task Acknowledged_store_writes_and_deletes_survive_losing_unsynced_data()
    {
        Skip.If(!PosixSync.IsLinux, "hard links and extended attributes are used on Linux only");
        string[] paths = ["a", "x/b", "x/y/c", "x/y/d", "z/e/f/g"];
        for (var stop = 1; stop <= 12; stop++)
        {
            using var temp = new TempDirectory("lost-fsync");
            var recorder = new DurableTreeRecorder(temp.Combine("tree"), temp.Combine("vault"));
            var store = recorder.OpenStore("store");
            var expected = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < stop; i++)
            {
                var path = paths[i % paths.Length];
                if (i % 4 == 3)
                {
                    await store.DeleteAsync(path);
                    expected[path] = null;
                }
                else
                {
                    var value = $"{path}-{i}";
                    await store.PutAsync(path, Bytes.Utf8(value), i < paths.Length ? PutMode.Create : PutMode.Overwrite);
                    expected[path] = value;
                }
            }

            recorder.Crash();
            var reopened = new LocalFileSystemObjectStore(temp.Combine("tree", "store"));
            foreach (var (path, value) in expected)
            {
                if (value is null)
                {
                    await Assert.ThrowsAsync<ObjectNotFoundException>(() => reopened.GetAsync(path));
                }
                else
                {
                    Assert.Equal(value, System.Text.Encoding.UTF8.GetString((await reopened.GetAsync(path)).Bytes.Span));
                }
            }
        }
    }

    [SkippableFact]
    public async Task A_folder_above_the_root_left_unsynced_by_a_crashed_process_is_made_durable_by_the_first_write()
    {
        Skip.If(!PosixSync.IsLinux, "hard links and extended attributes are used on Linux only");
        using var temp = new TempDirectory("lost-fsync");
        var recorder = new DurableTreeRecorder(temp.Combine("tree"), temp.Combine("vault"));

        // A process created tree/parent and crashed before syncing tree: the folder exists, its entry is not durable.
        Directory.CreateDirectory(temp.Combine("tree", "parent"));
        var store = recorder.OpenStore(Path.Combine("parent", "store"));
        await store.PutAsync("object", Bytes.Utf8("acknowledged"), PutMode.Create);

        recorder.Crash();
        var reopened = new LocalFileSystemObjectStore(temp.Combine("tree", "parent", "store"));
        Assert.Equal("acknowledged", System.Text.Encoding.UTF8.GetString((await reopened.GetAsync("object")).Bytes.Span));
    }

    [SkippableFact]
    public async Task A_database_survives_losing_unsynced_data_at_every_store_call()
    {
        Skip.If(!PosixSync.IsLinux, "hard links and extended attributes are used on Linux only");
        await RunAsync(separateWalStore: false);
    }

    [SkippableFact]
    public async Task A_database_with_a_separate_wal_store_survives_losing_unsynced_data_at_every_store_call()
    {
        Skip.If(!PosixSync.IsLinux, "hard links and extended attributes are used on Linux only");
        await RunAsync(separateWalStore: true);
    }

    [SkippableFact]
    public async Task A_database_survives_a_second_loss_of_unsynced_data_while_recovering_from_the_first()
    {
        Skip.If(!PosixSync.IsLinux, "hard links and extended attributes are used on Linux only");
        var recoveries = 0;
        for (var k = 6; k <= 64; k += 28)
        {
            for (var j = 1; ; j++)
            {
                using var temp = new TempDirectory("lost-fsync");
                var recorder = new DurableTreeRecorder(temp.Combine("tree"), temp.Combine("vault"));
                var workload = new SyncPathsWorkload();
                var oracle = new DurabilityOracle();
                await RunWorkloadAsync(workload, new FaultInjectingObjectStore(recorder.OpenStore("store"), Seed).CrashAtCall(k), separateWalStore: false, oracle);
                recorder.Crash();
                recorder.Restart();

                // Recover, write and flush, on a store that crashes at call j; then lose what that left unsynced.
                var faults = new FaultInjectingObjectStore(recorder.OpenStore("store"), Seed).CrashAtCall(j);
                Db? db = null;
                try
                {
                    db = await Guard.Within(workload.OpenAsync(faults, null), "recovery open");
                    var op = WriteOp.Put(Bytes.Utf8("recovered"), Bytes.Utf8($"after-{k}-{j}"));
                    try
                    {
                        oracle.Acknowledged(op, await Guard.Within(op.ApplyAsync(db, new WriteOptions { AwaitDurable = false }), "write"));
                    }
                    catch (Exception) when (faults.IsCrashed)
                    {
                        oracle.Unknown(op);
                        throw;
                    }

                    await Guard.Within(db.FlushAsync(), "flush");
                    oracle.AllDurable();
                }
                catch (Exception) when (faults.IsCrashed)
                {
                }
                finally
                {
                    await ModelRunner.DisposeQuietlyAsync(db);
                }

                var crashed = faults.IsCrashed;
                recorder.Crash();
                await AssertRecoveredAsync(workload, temp.Combine("tree", "store"), separateWalStore: false, oracle, $"crash at call {k}, then at call {j} of the recovery");
                if (!crashed)
                {
                    output.WriteLine($"crash at call {k}: the recovery makes {j - 1} store calls");
                    break;
                }

                recoveries++;
            }
        }

        Assert.True(recoveries > 10, "Too few recoveries were crashed to mean anything.");
    }

    private async Task RunAsync(bool separateWalStore)
    {
        var workload = new SyncPathsWorkload();
        long calls;
        using (var temp = new TempDirectory("lost-fsync"))
        {
            var recorder = new DurableTreeRecorder(temp.Combine("tree"), temp.Combine("vault"));
            var counting = new FaultInjectingObjectStore(recorder.OpenStore("store"), Seed);
            var oracle = new DurabilityOracle();
            await RunWorkloadAsync(workload, counting, separateWalStore, oracle);
            Assert.False(workload.Failed, "The workload failed without a crash.");
            Assert.NotNull(workload.Checkpoint);
            calls = counting.CallCount;
            output.WriteLine($"The workload makes {calls} object-store calls, {recorder.FileSyncs} file and {recorder.DirectorySyncs} folder fsyncs.");
            var lost = recorder.Crash();
            output.WriteLine($"A crash at the end drops {lost} entries that were never made durable.");
            await AssertRecoveredAsync(workload, temp.Combine("tree", "store"), separateWalStore, oracle, "a crash after the clean run");
        }

        for (var k = 1; k <= calls; k++)
        {
            using var temp = new TempDirectory("lost-fsync");
            var recorder = new DurableTreeRecorder(temp.Combine("tree"), temp.Combine("vault"));
            var faults = new FaultInjectingObjectStore(recorder.OpenStore("store"), Seed).CrashAtCall(k);
            var oracle = new DurabilityOracle();
            await RunWorkloadAsync(workload, faults, separateWalStore, oracle);
            recorder.Crash();
            await AssertRecoveredAsync(workload, temp.Combine("tree", "store"), separateWalStore, oracle, $"seed {Seed}, crash at call {k} of {calls}");
        }
    }

    private static Task RunWorkloadAsync(SyncPathsWorkload workload, IObjectStore store, bool separateWalStore, DurabilityOracle oracle)
        => separateWalStore
            ? workload.RunAsync(new PrefixedObjectStore(store, "main"), new PrefixedObjectStore(store, "wal"), oracle)
            : workload.RunAsync(store, null, oracle);

    // Reopens on the rebuilt tree with a plain local store (same root, so the same store URIs) and checks the oracle,
    // then that an acknowledged checkpoint is still listed.
    private static async Task AssertRecoveredAsync(SyncPathsWorkload workload, string root, bool separateWalStore, DurabilityOracle oracle, string context)
    {
        var checkpoint = workload.Checkpoint;
        var store = new FaultInjectingObjectStore(new LocalFileSystemObjectStore(root), Seed);
        IObjectStore main = separateWalStore ? new PrefixedObjectStore(store, "main") : store;
        IObjectStore? wal = separateWalStore ? new PrefixedObjectStore(store, "wal") : null;
        Db db;
        try
        {
            db = await Guard.Within(workload.OpenAsync(main, wal), $"{context}: reopening");
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            throw new DurabilityViolationException($"{context}: the database does not reopen after losing unsynced data: {ex}");
        }

        await using (db)
        {
            oracle.AssertRecovered(await KeyValueModel.ReadAllAsync(db), context);
            if (checkpoint is { } id)
            {
                var listed = await new DbAdmin(SyncPathsWorkload.DbPath, main, wal).ListCheckpointsAsync();
                Assert.True(listed.Any(c => c.Id == id), $"{context}: the acknowledged checkpoint {id} is gone.");
            }

            await db.PutAsync("after-recovery"u8.ToArray(), "ok"u8.ToArray());
            await Guard.Within(db.CloseAsync(), $"{context}: closing after recovery");
        }
    }
}
