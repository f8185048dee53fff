using SlateDb.Testing;
using SlateDb.Testing.ObjectStores;

namespace SlateDb.ObjectStore.Tests.Contract;

/// <summary>The production stack over local files: retries around counting around the file store.</summary>
public sealed class RetryingInstrumentedLocalFileSystemContractTests : ObjectStoreContract, IDisposable
{
    private readonly TempDirectory _folder = new("retrying-localfs");

    protected override Task<IObjectStore> CreateStoreAsync()
    {
        var files = new LocalFileSystemObjectStore(_folder.FullPath);
        var instrumented = new InstrumentedObjectStore(files, recordLog: true);
        return Task.FromResult<IObjectStore>(new RetryingObjectStore(instrumented, seed: 11));
    }

    public void Dispose() => _folder.Dispose();
}
