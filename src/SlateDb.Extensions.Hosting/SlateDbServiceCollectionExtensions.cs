using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SlateDb.Extensions.Hosting;

/// <summary>Registers SlateDb databases in a service collection.</summary>
public static class SlateDbServiceCollectionExtensions
{
    /// <summary>The configuration section under which each database's options live: <c>SlateDb:&lt;name&gt;</c>.</summary>
    public const string ConfigurationSectionName = "SlateDb";

    /// <summary>
    /// Registers the database <paramref name="name"/>: its options are bound from the configuration section
    /// <c>SlateDb:&lt;name&gt;</c> of the registered <see cref="IConfiguration"/> (if any), then changed by
    /// <paramref name="configure"/>; it is opened when the host starts (or when first resolved, if that is earlier: the
    /// host constructs hosted services that take it before starting any) and closed (flushed to L0) when the host stops.
    /// Resolve it as the keyed service <c>[FromKeyedServices("name")] Db</c>; the first database registered is also the
    /// unkeyed <see cref="Db"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The registration name: the DI key, the configuration section name and the default database path.</param>
    /// <param name="configure">Changes the options after configuration binding.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or a database of that name is already registered.</exception>
    public static IServiceCollection AddSlateDb(this IServiceCollection services, string name, Action<SlateDbOptions>? configure = null)
        => AddSlateDb(services, name, null, configure);

    /// <summary>
    /// Registers the database <paramref name="name"/> like <see cref="AddSlateDb(IServiceCollection, string, Action{SlateDbOptions}?)"/>,
    /// binding its options from <paramref name="configuration"/> (the database's own section, with keys <c>Path</c>,
    /// <c>StoreUri</c>, <c>WalStoreUri</c>, <c>WalStallThreshold</c> and the <c>Settings</c> subsection).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The registration name.</param>
    /// <param name="configuration">The database's configuration section; null binds <c>SlateDb:&lt;name&gt;</c> of the registered configuration.</param>
    /// <param name="configure">Changes the options after configuration binding.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or a database of that name is already registered.</exception>
    public static IServiceCollection AddSlateDb(
        this IServiceCollection services, string name, IConfiguration? configuration, Action<SlateDbOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(SlateDbInstance) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            throw new ArgumentException($"A SlateDb database named '{name}' is already registered; each AddSlateDb call needs its own name.", nameof(name));
        }

        services.AddOptions();
        services.AddSingleton<IConfigureOptions<SlateDbOptions>>(sp => new ConfigureNamedOptions<SlateDbOptions>(name, options =>
        {
            var section = configuration ?? sp.GetService<IConfiguration>()?.GetSection($"{ConfigurationSectionName}:{name}");
            if (section is not null)
            {
                SlateDbOptionsBinder.Bind(section, options);
            }

            configure?.Invoke(options);
        }));
        services.AddKeyedSingleton(name, (sp, _) => new SlateDbInstance(name, sp));
        services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredKeyedService<SlateDbInstance>(name).Db);
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<Db>(name));
        services.AddSingleton<IHostedService>(sp => new SlateDbHostedService(sp.GetRequiredKeyedService<SlateDbInstance>(name)));
        return services;
    }
}
