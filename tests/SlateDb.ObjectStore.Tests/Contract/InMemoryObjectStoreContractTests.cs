using SlateDb.Testing.ObjectStores;

namespace SlateDb.ObjectStore.Tests.Contract;

public sealed class InMemoryObjectStoreContractTests : ObjectStoreContract
{
    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new InMemoryObjectStore());
}
