using SlateDb.ObjectStore;

namespace SlateDb.Extensions.Hosting;

/// <summary>
/// How <see cref="SlateDbServiceCollectionExtensions.AddSlateDb(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{SlateDbOptions}?)"/>
/// opens one database. Bound from the configuration section <c>SlateDb:&lt;name&gt;</c> (keys <c>Path</c>,
/// <c>StoreUri</c>, <c>WalStoreUri</c>, <c>WalStallThreshold</c> and the <c>Settings</c> subsection), then changed by the
/// configure delegate.
/// </summary>
public sealed class SlateDbOptions
{
    /// <summary>The database's path inside the store; null uses the registration name.</summary>
    public string? Path { get; set; }

    /// <summary>The main store's URI for <see cref="ObjectStores.FromUri(string)"/> (<c>file:///…</c>, <c>s3://…</c>, <c>az://…</c>, <c>memory://</c>); ignored when <see cref="Store"/> is set.</summary>
    public string? StoreUri { get; set; }

    /// <summary>A separate WAL store's URI; null keeps the WAL in the main store. Ignored when <see cref="WalStore"/> is set.</summary>
    public string? WalStoreUri { get; set; }

    /// <summary>The main store itself (wins over <see cref="StoreUri"/>).</summary>
    public IObjectStore? Store { get; set; }

    /// <summary>A separate WAL store itself (wins over <see cref="WalStoreUri"/>).</summary>
    public IObjectStore? WalStore { get; set; }

    /// <summary>The database's settings (validated when it opens).</summary>
    public Settings Settings { get; set; } = new();

    /// <summary>
    /// The health check reports <c>Degraded</c> when writes have waited for durability and no WAL object was stored for
    /// longer than this. Default 30 s.
    /// </summary>
    public TimeSpan WalStallThreshold { get; set; } = TimeSpan.FromSeconds(30);
}
