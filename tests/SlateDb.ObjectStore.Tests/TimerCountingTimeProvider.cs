using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace SlateDb.ObjectStore.Tests;

/// <summary>
/// A fake clock that lets a test wait until a timer is set on it (<c>Task.Delay</c> on a time provider sets one) and see
/// its due time, so the test moves time only once the code under test waits on it: a move made earlier would be lost.
/// </summary>
internal sealed class TimerCountingTimeProvider : FakeTimeProvider
{
    private readonly SemaphoreSlim _timers = new(0);
    private readonly Lock _lock = new();
    private readonly Queue<TimeSpan> _dueTimes = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_lock)
        {
            _dueTimes.Enqueue(dueTime);
        }

        _timers.Release();
        return timer;
    }

    /// <summary>
    /// The due time of the next timer set on this clock, waiting for it (failing the test after 30 s, or at once if
    /// <paramref name="pending"/> ends first).
    /// </summary>
    public async Task<TimeSpan> NextTimerAsync(Task pending)
    {
        var timer = _timers.WaitAsync(TimeSpan.FromSeconds(30));
        if (await Task.WhenAny(timer, pending) == pending)
        {
            Assert.Fail($"the operation ended instead of waiting on the clock: {pending.Exception?.InnerException?.GetType().Name ?? "it returned"}");
        }

        Assert.True(await timer, "no wait was started on the clock");
        lock (_lock)
        {
            return _dueTimes.Dequeue();
        }
    }

    /// <summary>
    /// Waits for the next timer (failing at once if <paramref name="pending"/> ends first), checks it waits
    /// <paramref name="expected"/>, and moves time that far.
    /// </summary>
    public async Task AdvanceAfterNextTimerAsync(TimeSpan expected, Task pending)
    {
        Assert.Equal(expected, await NextTimerAsync(pending));
        Advance(expected);
    }
}
