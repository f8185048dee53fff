using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace SlateDb.Extensions.Hosting;

/// <summary>Reads <see cref="SlateDbOptions"/> from a configuration section without reflection (trim and AOT safe).</summary>
internal static class SlateDbOptionsBinder
{
    /// <summary>Copies what <paramref name="section"/> names onto <paramref name="options"/>; absent keys leave values as they are.</summary>
    /// <exception cref="InvalidOperationException">A value cannot be converted; the message names the key and the value.</exception>
    /// <exception cref="ArgumentException">A setting is out of range (from <see cref="Settings.FromConfiguration"/>).</exception>
    public static void Bind(IConfiguration section, SlateDbOptions options)
    {
        if (section["Path"] is { } path)
        {
            options.Path = path;
        }

        if (section["StoreUri"] is { } storeUri)
        {
            options.StoreUri = storeUri;
        }

        if (section["WalStoreUri"] is { } walStoreUri)
        {
            options.WalStoreUri = walStoreUri;
        }

        if (section["WalStallThreshold"] is { } threshold)
        {
            options.WalStallThreshold = TimeSpan.TryParse(threshold, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero
                ? value
                : throw new InvalidOperationException(
                    $"Configuration '{KeyOf(section, "WalStallThreshold")}' is '{threshold}'; it must be a positive time span such as 00:00:30.");
        }

        var settings = section.GetSection("Settings");
        if (settings.GetChildren().Any())
        {
            options.Settings = Settings.FromConfiguration(settings);
        }
    }

    private static string KeyOf(IConfiguration section, string key) => section is IConfigurationSection s ? $"{s.Path}:{key}" : key;
}
