namespace SlateDb.Testing.Simulation;

/// <summary>
/// Turns a hang into a failure that says what hung. The limit is generous (it only guards against a
/// deadlock in the engine); tests never wait on the clock for anything else.
/// </summary>
public static class Guard
{
    public static TimeSpan HangLimit { get; } = TimeSpan.FromSeconds(60);

    public static async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(HangLimit);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"{what} did not finish within {HangLimit.TotalSeconds:0} s (hang?).");
        }
    }

    public static async Task<T> Within<T>(Task<T> task, string what)
    {
        await Within((Task)task, what);
        return await task;
    }

    public static Task Within(ValueTask task, string what) => Within(task.AsTask(), what);

    public static Task<T> Within<T>(ValueTask<T> task, string what) => Within(task.AsTask(), what);
}
