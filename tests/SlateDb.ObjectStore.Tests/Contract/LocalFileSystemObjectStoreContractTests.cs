using SlateDb.Testing;
using SlateDb.Testing.ObjectStores;

namespace SlateDb.ObjectStore.Tests.Contract;

public sealed class LocalFileSystemObjectStoreContractTests : ObjectStoreContract, IDisposable
{
    private readonly TempDirectory _folder = new("localfs");

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new LocalFileSystemObjectStore(_folder.FullPath));

    public void Dispose() => _folder.Dispose();
}
