using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests.Harness;

/// <summary>
/// The crash pipeline can fail: a store that acknowledges a WAL object without keeping it makes the database
/// break its durability promise, and the oracle must say so.
/// </summary>
public sealed class LostWriteDetectionTests
{
    [Fact]
    public async Task A_store_that_drops_an_acknowledged_wal_object_is_caught()
    {
        var inner = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(new WalDroppingStore(inner), 1);
        var oracle = new DurabilityOracle();
        var db = await OpenAsync("db", faults);
        var op = WriteOp.Put(Key(1), Value(1));
        oracle.Acknowledged(op, await op.ApplyAsync(db, NoWait));
        await db.FlushAsync();
        oracle.AllDurable();
        faults.Crash();
        await ModelRunner.DisposeQuietlyAsync(db);

        await using var reopened = await OpenAsync("db", inner);
        var recovered = await KeyValueModel.ReadAllAsync(reopened);
        var ex = Assert.Throws<DurabilityViolationException>(() => oracle.AssertRecovered(recovered, "after a dropped WAL object"));
        Assert.Contains("key-0001", ex.Message, StringComparison.Ordinal);
    }

    // Says yes to every non-empty WAL object and keeps none of them.
    private sealed class WalDroppingStore(IObjectStore inner) : IObjectStore
    {
        public string Uri => inner.Uri;

        public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken ct = default) => inner.GetAsync(path, range, ct);

        public Task<ObjectMeta> HeadAsync(string path, CancellationToken ct = default) => inner.HeadAsync(path, ct);

        public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken ct = default)
            => PutAsync(path, data, mode, new PutOptions(), ct);

        public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken ct = default)
            => path.Contains("/wal/", StringComparison.Ordinal) && data.Length > 0
                ? Task.FromResult(new ObjectMeta(path, data.Length, DateTimeOffset.UnixEpoch, "dropped") { PutId = options.PutId })
                : inner.PutAsync(path, data, mode, options, ct);

        public IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, CancellationToken ct = default)
            => inner.ListAsync(prefix, startAfter, ct);

        public Task DeleteAsync(string path, CancellationToken ct = default) => inner.DeleteAsync(path, ct);

        public Task CopyAsync(string from, string to, CancellationToken ct = default) => inner.CopyAsync(from, to, ct);
    }
}
