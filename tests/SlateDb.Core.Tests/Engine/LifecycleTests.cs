using SlateDb.Engine;
using Xunit;

namespace SlateDb.Core.Tests.Engine;

public class LifecycleTests
{
    [Fact]
    public void The_first_failure_sets_the_state_and_the_cause_later_ones_change_nothing()
    {
        var lifecycle = new Lifecycle("db");
        var fenced = new FencedException("fenced");

        Assert.True(lifecycle.TryFail(fenced));
        Assert.False(lifecycle.TryFail(new SlateDbException(SlateDbErrorKind.Unavailable, "later")));

        Assert.True(lifecycle.IsFenced);
        Assert.Same(fenced, lifecycle.Cause);
        Assert.IsType<FencedException>(lifecycle.WriteError());
        Assert.False(lifecycle.TryBeginClose());
    }

    [Fact]
    public void A_failure_while_closing_is_recorded()
    {
        var lifecycle = new Lifecycle("db");
        var failure = new SlateDbException(SlateDbErrorKind.Unavailable, "store down");

        Assert.True(lifecycle.TryBeginClose());
        Assert.True(lifecycle.TryFail(failure));

        Assert.Same(failure, lifecycle.Cause);
        Assert.Contains("store down", Assert.IsType<DbClosedException>(lifecycle.WriteError()).Message, StringComparison.Ordinal);
    }

    // A fence and another failure race to close the database: whichever call wins must be the recorded cause, and
    // the state must match it (a fence is never reported with the other failure's cause, nor the reverse). Both
    // threads spin on a shared round number so their calls start within nanoseconds of each other.
    [Fact]
    public void Racing_failures_record_the_winner_as_the_cause()
    {
        const int Rounds = 200_000;
        var lifecycles = new Lifecycle[Rounds];
        var fences = new FencedException[Rounds];
        var failures = new SlateDbException[Rounds];
        var fenceWon = new bool[Rounds];
        var failureWon = new bool[Rounds];
        for (var i = 0; i < Rounds; i++)
        {
            lifecycles[i] = new Lifecycle("db");
            fences[i] = new FencedException($"fence {i}");
            failures[i] = new SlateDbException(SlateDbErrorKind.Unavailable, $"failure {i}");
        }

        var ready = 0;
        var fencer = new Thread(() => Race(i => fenceWon[i] = lifecycles[i].TryFail(fences[i])));
        var failer = new Thread(() => Race(i => failureWon[i] = lifecycles[i].TryFail(failures[i])));
        fencer.Start();
        failer.Start();
        fencer.Join();
        failer.Join();

        for (var i = 0; i < Rounds; i++)
        {
            Assert.True(fenceWon[i] != failureWon[i], $"round {i}: exactly one failure wins");
            Exception winner = fenceWon[i] ? fences[i] : failures[i];
            Assert.Same(winner, lifecycles[i].Cause);
            Assert.Equal(fenceWon[i], lifecycles[i].IsFenced);
        }

        // Round i starts once both threads finished round i - 1 (each adds one to `ready` per round).
        void Race(Action<int> fail)
        {
            for (var i = 0; i < Rounds; i++)
            {
                var spin = new SpinWait();
                while (Volatile.Read(ref ready) < 2 * i)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }

                fail(i);
                Interlocked.Increment(ref ready);
            }
        }
    }
}
