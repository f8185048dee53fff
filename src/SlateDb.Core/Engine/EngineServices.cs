using Microsoft.Extensions.Logging;
using SlateDb.Infrastructure;

namespace SlateDb.Engine;

/// <summary>What every part of one open database shares: its path, settings, clock, randomness, log and metrics.</summary>
internal sealed class EngineServices
{
    public EngineServices(string dbPath, Settings settings, TimeProvider time, DbRandom random, ILogger logger)
    {
        DbPath = dbPath;
        Settings = settings;
        Time = time;
        Random = random;
        Logger = logger;
        Metrics = new DbMetrics(dbPath);
        Resolution = new Read.ReadResolution(settings.MergeOperator, time);
    }

    /// <summary>The database path inside the object store.</summary>
    public string DbPath { get; }

    /// <summary>The validated settings (a private copy).</summary>
    public Settings Settings { get; }

    /// <summary>The clock (a fake one in tests).</summary>
    public TimeProvider Time { get; }

    /// <summary>Seeded randomness (ULIDs, jitter).</summary>
    public DbRandom Random { get; }

    /// <summary>The database's logger.</summary>
    public ILogger Logger { get; }

    /// <summary>The database's instruments.</summary>
    public DbMetrics Metrics { get; }

    /// <summary>The merge operator and clock reads resolve versions with.</summary>
    public Read.ReadResolution Resolution { get; }

    /// <summary>Now, in milliseconds since the Unix epoch.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
