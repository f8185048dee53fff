using Microsoft.Extensions.Configuration;
using Xunit;

namespace SlateDb.Core.Tests.Write;

public sealed class SettingsTests
{
    [Fact]
    public void Defaults_match_the_documented_values()
    {
        var s = new Settings();
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.FlushInterval);
        Assert.Equal(64L << 20, s.L0SstSizeBytes);
        Assert.Equal(1L << 30, s.MaxUnflushedBytes);
        Assert.Equal(4096, s.BlockSize);
        Assert.Equal(10, s.BloomBitsPerKey);
        Assert.Equal(1000, s.MinFilterKeys);
        Assert.Equal(TimeSpan.FromSeconds(1), s.ManifestPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(300), s.ManifestUpdateTimeout);
        Assert.Equal(WalRecoveryMode.Strict, s.WalRecoveryMode);
        Assert.Equal(512L << 20, s.BlockCacheBytes);
        Assert.Equal(64L << 20, s.MetadataCacheBytes);
        Assert.Equal(8, s.L0MaxSsts);
        s.Validate();
    }

    [Fact]
    public void Binds_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SlateDb:FlushInterval"] = "00:00:00.250",
            ["SlateDb:L0SstSizeBytes"] = "1048576",
            ["SlateDb:WalRecoveryMode"] = "TolerateCorruptTail",
            ["SlateDb:BloomBitsPerKey"] = "0",
            ["SlateDb:MetadataCacheBytes"] = "4096",
        }).Build();

        var s = Settings.FromConfiguration(config.GetSection("SlateDb"));

        Assert.Equal(TimeSpan.FromMilliseconds(250), s.FlushInterval);
        Assert.Equal(1L << 20, s.L0SstSizeBytes);
        Assert.Equal(WalRecoveryMode.TolerateCorruptTail, s.WalRecoveryMode);
        Assert.Equal(0, s.BloomBitsPerKey);
        Assert.Equal(4096, s.BlockSize);
        Assert.Equal(4096, s.MetadataCacheBytes);
    }

    [Fact]
    public void Bad_values_name_the_setting_and_the_value()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlushInterval"] = "-00:00:01",
        }).Build();
        var e = Assert.Throws<ArgumentException>(() => Settings.FromConfiguration(config));
        Assert.Contains("FlushInterval", e.Message, StringComparison.Ordinal);
        Assert.Contains("-00:00:01", e.Message, StringComparison.Ordinal);

        AssertInvalid(new Settings { BlockSize = 10 }, "BlockSize", "10");
        AssertInvalid(new Settings { L0SstSizeBytes = 0 }, "L0SstSizeBytes", "0");
        AssertInvalid(new Settings { MaxUnflushedBytes = -1 }, "MaxUnflushedBytes", "-1");
        AssertInvalid(new Settings { BloomBitsPerKey = 100 }, "BloomBitsPerKey", "100");
        AssertInvalid(new Settings { ManifestPollInterval = TimeSpan.Zero }, "ManifestPollInterval", "00:00:00");
        AssertInvalid(new Settings { WalRecoveryMode = (WalRecoveryMode)7 }, "WalRecoveryMode", "7");
        AssertInvalid(new Settings { L0MaxSsts = 0 }, "L0MaxSsts", "0");
        AssertInvalid(new Settings { MetadataCacheBytes = -1 }, "MetadataCacheBytes", "-1");
    }

    private static void AssertInvalid(Settings settings, string name, string value)
    {
        var e = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
        Assert.Equal(name, e.ParamName);
    }
}
