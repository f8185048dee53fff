namespace SlateDb.Testing;

/// <summary>A fresh folder under <see cref="Path.GetTempPath"/>, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    private static long s_counter;

    public TempDirectory(string? label = null)
    {
        var name = $"slatedb-{label ?? "test"}-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}-{Path.GetRandomFileName()}";
        FullPath = Path.Combine(Path.GetTempPath(), name);
        Directory.CreateDirectory(FullPath);
    }

    /// <summary>The folder's absolute path.</summary>
    public string FullPath { get; }

    /// <summary>A path inside the folder.</summary>
    public string Combine(params string[] parts) => Path.Combine([FullPath, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public override string ToString() => FullPath;
}
