using System.Diagnostics;

namespace SlateDb.Infrastructure;

/// <summary>
/// The spans of the <see cref="ActivitySource"/> named <c>SlateDb</c> (docs/telemetry.md). Every span carries
/// <c>slatedb.db</c> (the database path) and, where one store is involved, <c>slatedb.store</c> (its URI); counts are
/// attributes; keys and values never are.
/// </summary>
/// <remarks>
/// Invariant: with no listener, callers on hot paths (get, write) check <see cref="Enabled"/> once and take their
/// untraced path, so tracing costs one field read; <see cref="Start"/> returns null then too.
/// </remarks>
internal static class DbTracing
{
    public static readonly ActivitySource Source = new(SlateDbTelemetry.ActivitySourceName, typeof(DbTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Whether any listener samples SlateDb spans now.</summary>
    public static bool Enabled => Source.HasListeners();

    /// <summary>Starts a span named <paramref name="name"/> for <paramref name="dbPath"/>, or returns null when nobody listens.</summary>
    public static Activity? Start(string name, string dbPath, string? storeUri = null)
    {
        var activity = Source.StartActivity(name, ActivityKind.Internal);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("slatedb.db", dbPath);
        if (storeUri is not null)
        {
            activity.SetTag("slatedb.store", storeUri);
        }

        return activity;
    }

    /// <summary>
    /// Starts a span that outlives the call that starts it (a scan, ended when the iterator is disposed): the caller's
    /// <see cref="Activity.Current"/> is restored, so the caller's later work is not made a child of it.
    /// </summary>
    public static Activity? StartDetached(string name, string dbPath, string? storeUri = null)
    {
        var parent = Activity.Current;
        var activity = Start(name, dbPath, storeUri);
        if (activity is not null)
        {
            Activity.Current = parent;
        }

        return activity;
    }

    /// <summary>
    /// Runs <paramref name="run"/> inside a span (when anyone listens), describes the span from the result with
    /// <paramref name="describe"/>, and marks it failed when <paramref name="run"/> throws.
    /// </summary>
    public static async Task<T> RunAsync<T>(string name, string dbPath, string? storeUri, Func<Task<T>> run, Action<Activity, T>? describe = null)
    {
        using var activity = Start(name, dbPath, storeUri);
        try
        {
            var result = await run().ConfigureAwait(false);
            if (activity is not null)
            {
                describe?.Invoke(activity, result);
            }

            return result;
        }
        catch (Exception e)
        {
            Failed(activity, e);
            throw;
        }
    }

    /// <summary>Runs <paramref name="run"/> inside a span, like <see cref="RunAsync{T}"/>, for work without a result.</summary>
    public static async Task RunAsync(string name, string dbPath, string? storeUri, Func<Task> run, Action<Activity>? describe = null)
    {
        using var activity = Start(name, dbPath, storeUri);
        if (activity is not null)
        {
            describe?.Invoke(activity);
        }

        try
        {
            await run().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Failed(activity, e);
            throw;
        }
    }

    /// <summary>Marks <paramref name="activity"/> failed with <paramref name="error"/>'s type and message (a no-op for null).</summary>
    public static void Failed(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.SetTag("error.type", error.GetType().FullName);
    }
}
