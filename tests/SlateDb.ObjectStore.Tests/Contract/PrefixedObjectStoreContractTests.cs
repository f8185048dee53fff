using SlateDb.Testing.ObjectStores;

namespace SlateDb.ObjectStore.Tests.Contract;

/// <summary>A prefixed view of an in-memory store that also holds objects outside the prefix.</summary>
public sealed class PrefixedObjectStoreContractTests : ObjectStoreContract
{
    protected override async Task<IObjectStore> CreateStoreAsync()
    {
        var inner = new InMemoryObjectStore();

        // Neighbours that share the prefix as a string but not as a folder must stay invisible.
        await inner.PutAsync("tenant/1x/neighbour", "n"u8.ToArray(), PutMode.Overwrite);
        await inner.PutAsync("tenant/1", "a file named like the prefix"u8.ToArray(), PutMode.Overwrite);
        await inner.PutAsync("tenant/0/before", "b"u8.ToArray(), PutMode.Overwrite);
        return new PrefixedObjectStore(inner, "tenant/1");
    }
}
