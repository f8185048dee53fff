namespace SlateDb.Infrastructure;

/// <summary>
/// A level-free "something changed" signal: waiters take <see cref="WaitTask"/>, re-check their condition, then await
/// it; <see cref="Pulse"/> releases every waiter that took the task before it. Taking the task before checking the
/// condition is what makes a pulse between the check and the await impossible to miss.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = New();

    /// <summary>Completes at the next <see cref="Pulse"/>, or faults at <see cref="Fail"/>.</summary>
    public Task WaitTask => Volatile.Read(ref _tcs).Task;

    /// <summary>Releases the current waiters.</summary>
    public void Pulse() => Interlocked.Exchange(ref _tcs, New()).TrySetResult();

    /// <summary>Faults the current waiters with <paramref name="error"/>.</summary>
    public void Fail(Exception error) => Interlocked.Exchange(ref _tcs, New()).TrySetException(error);

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
