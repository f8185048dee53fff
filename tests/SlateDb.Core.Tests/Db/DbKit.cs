using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Core.Tests.Db;

/// <summary>Openers, keys and store helpers for the engine's unit tests.</summary>
internal static class DbKit
{
    public const string DbPath = "db";

    public static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    public static readonly ReadOptions Remote = new() { DurabilityFilter = DurabilityLevel.Remote };

    /// <summary>A clock that moves only when a test advances it, so WAL objects appear only on explicit flushes.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static Task<SlateDb.Db> OpenAsync(
        IObjectStore store,
        Settings? settings = null,
        TimeProvider? time = null,
        IObjectStore? walStore = null,
        long seed = 1,
        ILoggerFactory? logs = null)
    {
        var builder = SlateDb.Db.Builder(DbPath, store)
            .WithSettings(settings ?? new Settings { ManifestPollInterval = TimeSpan.FromHours(1) })
            .WithTimeProvider(time ?? Clock())
            .WithSeed(seed);
        if (walStore is not null)
        {
            builder.WithWalObjectStore(walStore);
        }

        if (logs is not null)
        {
            builder.WithLogger(logs);
        }

        return builder.BuildAsync();
    }

    public static byte[] K(int i) => Encoding.UTF8.GetBytes($"key-{i:D5}");

    public static byte[] V(int i, int version = 1) => Encoding.UTF8.GetBytes($"value-{i}-v{version}");

    public static async Task<List<ObjectMeta>> ListAsync(IObjectStore store, string prefix)
    {
        var found = new List<ObjectMeta>();
        await foreach (var meta in store.ListAsync(prefix))
        {
            found.Add(meta);
        }

        return found;
    }

    /// <summary>The WAL objects (id, size) of the test database, in id order.</summary>
    public static async Task<List<(ulong Id, long Size)>> WalObjectsAsync(IObjectStore store)
    {
        var paths = new DbPaths(DbPath);
        var found = new List<(ulong, long)>();
        foreach (var meta in await ListAsync(store, paths.WalPrefix))
        {
            if (paths.TryParseWalId(meta.Path, out var id))
            {
                found.Add((id, meta.Size));
            }
        }

        return found;
    }

    public static async Task<Versioned<ManifestData>> LatestManifestAsync(IObjectStore store)
        => await new ManifestStore(store, DbPath).TryReadLatestAsync() ?? throw new InvalidOperationException("No manifest.");

    /// <summary>Calls <paramref name="onMeasurement"/> for every measurement of the SlateDb instrument <paramref name="instrumentName"/>.</summary>
    public static MeterListener Listen(string instrumentName, Action<long> onMeasurement)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "SlateDb" && instrument.Name == instrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => onMeasurement(value));
        listener.Start();
        return listener;
    }

    /// <summary>Yields until <paramref name="condition"/> holds (background work finishing); fails after 30 s.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var start = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(start) > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Yield();
        }
    }

    public static string WalPath(ulong id) => new DbPaths(DbPath).WalSstPath(id);
}

/// <summary>Collects formatted log messages.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public bool Contains(string text) => Messages.Any(m => m.Message.Contains(text, StringComparison.Ordinal));

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Messages.Enqueue((logLevel, formatter(state, exception)));
    }
}
