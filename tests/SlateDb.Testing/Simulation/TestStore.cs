using SlateDb.ObjectStore;

namespace SlateDb.Testing.Simulation;

/// <summary>The store kinds the acceptance tests run on.</summary>
public enum StoreKind
{
    Memory,
    LocalFiles,
}

/// <summary>A fresh, empty object store of one kind; a local-file store's folder is deleted on dispose.</summary>
public sealed class TestStore : IDisposable
{
    private readonly TempDirectory? _directory;

    private TestStore(IObjectStore store, TempDirectory? directory)
    {
        Store = store;
        _directory = directory;
    }

    public IObjectStore Store { get; }

    public static TestStore Create(StoreKind kind, string label = "sim")
    {
        if (kind == StoreKind.Memory)
        {
            return new TestStore(new InMemoryObjectStore(), null);
        }

        var directory = new TempDirectory(label);
        return new TestStore(new LocalFileSystemObjectStore(directory.FullPath), directory);
    }

    public void Dispose() => _directory?.Dispose();
}
