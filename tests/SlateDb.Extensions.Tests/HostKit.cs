using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace SlateDb.Extensions.Tests;

/// <summary>Builds hosts over in-memory configuration and a given clock (the system clock by default).</summary>
internal static class HostKit
{
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static IHost Build(Dictionary<string, string?> configuration, Action<IServiceCollection> configure, TimeProvider? time = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        configure(builder.Services);
        return builder.Build();
    }

    public static string FileUri(string path) => new Uri(path + "/").AbsoluteUri.TrimEnd('/');
}
