using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SlateDb.Caching;

/// <summary>Registers a <see cref="SlateDbCache"/> as the application's <see cref="IDistributedCache"/>.</summary>
public static class SlateDbCacheServiceCollectionExtensions
{
    /// <summary>
    /// Makes <see cref="IDistributedCache"/> (and <see cref="SlateDbCache"/>) a cache on the database registered as
    /// <paramref name="databaseName"/> with <c>AddSlateDb</c> (register the database first), and sweeps expired entries in
    /// the background every <see cref="SlateDbCacheOptions.SweepInterval"/>. The clock is the registered
    /// <see cref="TimeProvider"/>, or the system clock.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="databaseName">The database's registration name.</param>
    /// <param name="configure">Changes the cache options (key prefix, default sliding expiration, sweep interval).</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static IServiceCollection AddSlateDbDistributedCache(
        this IServiceCollection services, string databaseName, Action<SlateDbCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        var options = new SlateDbCacheOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton(sp => new SlateDbCache(
            () => sp.GetRequiredKeyedService<Db>(databaseName), options, sp.GetService<TimeProvider>()));
        services.Replace(ServiceDescriptor.Singleton<IDistributedCache>(sp => sp.GetRequiredService<SlateDbCache>()));
        services.AddSingleton(sp => new SlateDbCacheSweeper(
            sp.GetRequiredService<SlateDbCache>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILogger<SlateDbCacheSweeper>>() ?? NullLogger<SlateDbCacheSweeper>.Instance));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SlateDbCacheSweeper>());
        return services;
    }
}
