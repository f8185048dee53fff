using SlateDb.Write;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Write;

public sealed class GroupCommitPacerTests
{
    private static readonly TimeSpan PutTime = TimeSpan.FromMilliseconds(8);

    [Fact]
    public void The_hold_is_half_the_average_put_latency_and_ends_when_the_writers_are_back()
    {
        var time = Clock();
        var pacer = new GroupCommitPacer(time);
        var hold = Put(pacer, time, awaited: 6, waitingAfter: 1);

        Assert.Equal(PutTime / 2, hold);
        Assert.True(pacer.Holding);
        for (var i = 0; i < 5; i++)
        {
            pacer.AwaitedWrite();
            Assert.True(pacer.Holding);
        }

        pacer.AwaitedWrite();   // 1 waiting before + 6 back
        Assert.False(pacer.Holding);
    }

    [Fact]
    public void About_as_many_waiting_as_just_completed_never_holds()
    {
        var time = Clock();
        var pacer = new GroupCommitPacer(time);
        Assert.Equal(TimeSpan.Zero, Put(pacer, time, awaited: 6, waitingAfter: 3));
        Assert.False(pacer.Holding);
    }

    [Fact]
    public void One_awaited_write_per_put_never_holds()
    {
        var time = Clock();
        var pacer = new GroupCommitPacer(time);
        Assert.Equal(TimeSpan.Zero, Put(pacer, time, awaited: 1, waitingAfter: 0));
        Assert.False(pacer.Holding);
    }

    [Fact]
    public void Puts_cheaper_than_the_minimum_hold_never_hold()
    {
        var time = Clock();
        var pacer = new GroupCommitPacer(time);
        pacer.AwaitedWrite();
        pacer.AwaitedWrite();
        pacer.Sealed();
        Assert.Equal(TimeSpan.Zero, pacer.Stored());   // the clock did not move
        Assert.False(pacer.Holding);
    }

    [Fact]
    public void A_seal_ends_the_hold_and_the_latency_is_a_moving_average()
    {
        var time = Clock();
        var pacer = new GroupCommitPacer(time);
        Assert.Equal(PutTime / 2, Put(pacer, time, awaited: 4, waitingAfter: 0));
        pacer.Sealed();   // a flush or the interval seals during the hold
        Assert.False(pacer.Holding);

        time.Advance(PutTime * 5);
        Assert.Equal(TimeSpan.Zero, Stored(pacer));   // no awaited write in that object
        Assert.Equal(((PutTime * 3) + (PutTime * 5)) / 4, pacer.PutLatency);
    }

    [Fact]
    public void After_a_hold_expired_the_next_puts_start_without_one()
    {
        var time = Clock();
        var pacer = new GroupCommitPacer(time);
        Assert.Equal(PutTime / 2, Put(pacer, time, awaited: 4, waitingAfter: 0));
        pacer.HoldExpired();
        Assert.False(pacer.Holding);

        for (var i = 0; i < GroupCommitPacer.SkipAfterExpiry; i++)
        {
            Assert.Equal(TimeSpan.Zero, Put(pacer, time, awaited: 4, waitingAfter: 0));
            Assert.False(pacer.Holding);
        }

        Assert.Equal(PutTime / 2, Put(pacer, time, awaited: 4, waitingAfter: 0));   // tried again
        Assert.True(pacer.Holding);
    }

    // One object with `awaited` awaited writes takes PutTime; `waitingAfter` awaited writes arrive meanwhile.
    private static TimeSpan Put(GroupCommitPacer pacer, Microsoft.Extensions.Time.Testing.FakeTimeProvider time, int awaited, int waitingAfter)
    {
        for (var i = 0; i < awaited; i++)
        {
            pacer.AwaitedWrite();
        }

        pacer.Sealed();
        Assert.False(pacer.Idle);
        for (var i = 0; i < waitingAfter; i++)
        {
            pacer.AwaitedWrite();
        }

        time.Advance(PutTime);
        var hold = pacer.Stored();
        Assert.True(pacer.Idle);
        return hold;
    }

    private static TimeSpan Stored(GroupCommitPacer pacer) => pacer.Idle ? TimeSpan.Zero : pacer.Stored();
}
