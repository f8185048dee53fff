using SlateDb.Testing.Merging;
using Xunit;

namespace SlateDb.Core.Tests.Merging;

/// <summary>The reference model the workloads check against resolves as the database defines it.</summary>
public class VersionModelTests
{
    [Fact]
    public void The_model_resolves_operands_expiry_and_snapshots()
    {
        IMergeOperator op = new CounterOperator();
        Assert.Equal(5, CounterOperator.Decode(op.MergeBatch("k"u8.ToArray(), null, [CounterOperator.Encode(5)])));
        var model = new VersionModel(op);
        var k = "k"u8.ToArray();
        model.Add(k, 5, VersionKind.Merge, CounterOperator.Encode(0));
        Assert.Equal(0, CounterOperator.Decode(model.Get(k, 6, 0)));
        model.Add(k, 6, VersionKind.Put, CounterOperator.Encode(10), expireMs: 100);
        model.Add(k, 7, VersionKind.Merge, CounterOperator.Encode(3));
        model.Add(k, 8, VersionKind.Merge, CounterOperator.Encode(4), expireMs: 50);
        Assert.Equal(17, CounterOperator.Decode(model.Get(k, 8, 0)));
        Assert.Equal(13, CounterOperator.Decode(model.Get(k, 8, 50)));
        Assert.Equal(3, CounterOperator.Decode(model.Get(k, 8, 100)));
        Assert.Equal(10, CounterOperator.Decode(model.Get(k, 6, 0)));
        Assert.Null(model.Get(k, 6, 100));
    }
}
