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
        Register(services, name, configuration, configure, reader: false);
        services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredKeyedService<SlateDbInstance>(name).Db);
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<Db>(name));
        return services;
    }

    /// <summary>
    /// Registers a read replica of the database <paramref name="name"/>: a <see cref="DbReader"/> that follows the
    /// writer's manifest and WAL (polling every <see cref="Settings.ManifestPollInterval"/>), with options bound like
    /// <see cref="AddSlateDb(IServiceCollection, string, Action{SlateDbOptions}?)"/>'s from <c>SlateDb:&lt;name&gt;</c> (the
    /// same keys; <c>Path</c> names the database to follow). It opens when the host starts (or when first resolved) and
    /// closes when the host stops. Resolve it as <c>[FromKeyedServices("name")] DbReader</c>; the first reader registered
    /// is also the unkeyed <see cref="DbReader"/>. The health check does not cover readers.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The registration name: the DI key, the configuration section name and the default database path.</param>
    /// <param name="configure">Changes the options after configuration binding.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or a database or reader of that name is already registered.</exception>
    public static IServiceCollection AddSlateDbReader(this IServiceCollection services, string name, Action<SlateDbOptions>? configure = null)
    {
        Register(services, name, null, configure, reader: true);
        services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredKeyedService<SlateDbInstance>(name).Reader);
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<DbReader>(name));
        return services;
    }

    private static void Register(
        IServiceCollection services, string name, IConfiguration? configuration, Action<SlateDbOptions>? configure, bool reader)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(SlateDbInstance) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            throw new ArgumentException($"A SlateDb database named '{name}' is already registered; each AddSlateDb or AddSlateDbReader call needs its own name.", nameof(name));
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
        services.AddKeyedSingleton(name, (sp, _) => new SlateDbInstance(name, sp, reader));
        services.AddSingleton<IHostedService>(sp => new SlateDbHostedService(sp.GetRequiredKeyedService<SlateDbInstance>(name)));
    }
}
