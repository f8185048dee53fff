using SlateDb.Testing.Simulation;
using Xunit;

namespace SlateDb.Simulation.Tests.Harness;

/// <summary>The oracle that judges recovered databases accepts every legal outcome and rejects the illegal ones.</summary>
public sealed class DurabilityOracleTests
{
    private static readonly byte[] A = Bytes.Utf8("a"), B = Bytes.Utf8("b"), C = Bytes.Utf8("c");
    private static readonly byte[] V1 = Bytes.Utf8("1"), V2 = Bytes.Utf8("2"), V3 = Bytes.Utf8("3");

    // put a=1 (durable), delete b (durable), then not durable: put a=2, batch [put b=3, put c=3], put c=1.
    private static DurabilityOracle History(KeyValueModel? initial = null)
    {
        var oracle = new DurabilityOracle(initial);
        oracle.Acknowledged(WriteOp.Put(A, V1), 1);
        oracle.Acknowledged(WriteOp.Delete(B), 2);
        oracle.AllDurable();
        oracle.Acknowledged(WriteOp.Put(A, V2), 3);
        oracle.Acknowledged(WriteOp.Batch(new Mutation(B, V3), new Mutation(C, V3)), 4);
        oracle.Acknowledged(WriteOp.Put(C, V1), 5);
        return oracle;
    }

    private static KeyValueModel State(params (byte[] Key, byte[] Value)[] entries)
    {
        var model = new KeyValueModel();
        foreach (var (key, value) in entries)
        {
            model.Set(key, value, 0);
        }

        return model;
    }

    private static KeyValueModel WithB() => State((B, V1));

    [Fact]
    public void Every_prefix_that_holds_the_durable_writes_is_accepted()
    {
        History(WithB()).AssertRecovered(State((A, V1)), "durable only");
        History(WithB()).AssertRecovered(State((A, V2)), "one more");
        History(WithB()).AssertRecovered(State((A, V2), (B, V3), (C, V3)), "the batch too");
        History(WithB()).AssertRecovered(State((A, V2), (B, V3), (C, V1)), "everything");
    }

    [Fact]
    public void A_lost_durable_write_is_rejected()
    {
        var ex = Assert.Throws<DurabilityViolationException>(() => History(WithB()).AssertRecovered(State(), "lost"));
        Assert.Contains("lost or undone", ex.Message, StringComparison.Ordinal);
        Assert.Contains("key \"a\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_durably_deleted_key_that_comes_back_is_rejected()
    {
        var ex = Assert.Throws<DurabilityViolationException>(() => History(WithB()).AssertRecovered(State((A, V1), (B, V1)), "resurrected"));
        Assert.Contains("key \"b\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_split_batch_or_a_reordering_is_rejected()
    {
        var split = Assert.Throws<DurabilityViolationException>(() => History(WithB()).AssertRecovered(State((A, V2), (C, V3)), "split"));
        Assert.Contains("not the result of any prefix", split.Message, StringComparison.Ordinal);
        Assert.Throws<DurabilityViolationException>(() => History(WithB()).AssertRecovered(State((A, V1), (C, V1)), "reordered"));
    }

    [Fact]
    public void An_unknown_write_may_be_in_or_out()
    {
        DurabilityOracle Unknown()
        {
            var oracle = new DurabilityOracle();
            oracle.Acknowledged(WriteOp.Put(A, V1), 1);
            oracle.AllDurable();
            oracle.Unknown(WriteOp.Put(B, V2));
            oracle.Unknown(WriteOp.Put(C, V3));
            return oracle;
        }

        Unknown().AssertRecovered(State((A, V1)), "neither");
        Unknown().AssertRecovered(State((A, V1), (C, V3)), "the second only");
        Unknown().AssertRecovered(State((A, V1), (B, V2), (C, V3)), "both");
        Assert.Throws<DurabilityViolationException>(() => Unknown().AssertRecovered(State((A, V1), (B, V3)), "a value nobody wrote"));
    }
}
