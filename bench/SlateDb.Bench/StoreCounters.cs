using SlateDb.ObjectStore;

namespace SlateDb.Bench;

/// <summary>The object-store requests a workload made, taken from <see cref="InstrumentedObjectStore.Snapshot"/>.</summary>
internal sealed record StoreCounters(long Puts, long Gets, long Lists, long Heads, long Deletes, long BytesWritten, long BytesRead)
{
    public static StoreCounters From(InstrumentedObjectStore store)
    {
        var s = store.Snapshot();
        return new StoreCounters(s.Puts, s.Gets, s.Lists, s.Heads, s.Deletes, s.BytesWritten, s.BytesRead);
    }

    public override string ToString()
        => $"PUT {Puts}  GET {Gets}  LIST {Lists}  HEAD {Heads}  DELETE {Deletes}  (read {BenchResult.Bytes(BytesRead)})";
}
