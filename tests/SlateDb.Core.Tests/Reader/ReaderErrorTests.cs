using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Reader;

/// <summary>A reader's store failures come out as <see cref="SlateDbException"/>, as a writer's do.</summary>
public sealed class ReaderErrorTests
{
    [Fact]
    public async Task A_store_failure_during_a_reader_get_is_a_slatedb_exception_naming_the_object()
    {
        var store = new InMemoryObjectStore();
        await using (var db = await OpenAsync(store))
        {
            await db.PutAsync(K(1), V(1), NoWait);
            await db.FlushAsync(FlushType.MemTable);
        }

        var faults = new FaultInjectingObjectStore(store, seed: 1);
        await using var reader = await DbReader.OpenAsync(DbPath, faults, new DbReaderOptions { ManifestPollInterval = TimeSpan.FromHours(1), CheckpointLifetime = TimeSpan.FromHours(3) });
        faults.FailWhen(c => c.Operation == ObjectStoreOperation.Get && c.Path.Contains("/compacted/", StringComparison.Ordinal), transient: false);

        var e = await Assert.ThrowsAsync<SlateDbException>(async () => await reader.GetAsync(K(1)));

        Assert.IsAssignableFrom<ObjectStoreException>(e.InnerException);
        Assert.Contains("/compacted/", e.Message, StringComparison.Ordinal);
    }
}
