using SlateDb.Format;
using SlateDb.Read;
using SlateDb.Testing.Merging;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;

namespace SlateDb.Core.Tests.Merging;

public class VersionResolverTests
{
    private static string? Resolve(IMergeOperator? op, long nowMs, params Row[] newestFirst)
    {
        var resolver = new VersionResolver(op, nowMs);
        foreach (var row in newestFirst)
        {
            if (resolver.Add(row, copy: false))
            {
                break;
            }
        }

        return resolver.Result(Bytes("k")) is { } value ? System.Text.Encoding.UTF8.GetString(value) : null;
    }

    [Fact]
    public void Operands_apply_oldest_first_onto_the_first_put_and_stop_there()
    {
        Assert.Equal("base+1+2", Resolve(new AppendOperator(), 0, Merge("k", 9, "+2"), Merge("k", 8, "+1"), Put("k", 7, "base"), Put("k", 3, "older")));
    }

    [Fact]
    public void A_tombstone_or_the_end_of_the_versions_means_the_operands_apply_to_nothing()
    {
        Assert.Equal("+1+2", Resolve(new AppendOperator(), 0, Merge("k", 9, "+2"), Merge("k", 8, "+1"), Delete("k", 7), Put("k", 3, "older")));
        Assert.Equal("+1", Resolve(new AppendOperator(), 0, Merge("k", 8, "+1")));
        Assert.Null(Resolve(new AppendOperator(), 0, Delete("k", 7), Put("k", 3, "older")));
    }

    [Fact]
    public void An_expired_put_hides_older_versions_and_an_expired_operand_is_skipped()
    {
        Assert.Null(Resolve(new AppendOperator(), 100, Put("k", 7, "v", expireTs: 100), Put("k", 3, "older")));
        Assert.Equal("v", Resolve(new AppendOperator(), 99, Put("k", 7, "v", expireTs: 100), Put("k", 3, "older")));
        Assert.Equal("+2", Resolve(new AppendOperator(), 100, Merge("k", 9, "+2"), Merge("k", 8, "+1", expireTs: 50), Put("k", 7, "v", expireTs: 100), Put("k", 3, "older")));
        Assert.Equal("v+2", Resolve(new AppendOperator(), 60, Merge("k", 9, "+2"), Merge("k", 8, "+1", expireTs: 50), Put("k", 7, "v", expireTs: 100), Put("k", 3, "older")));
        Assert.Null(Resolve(new AppendOperator(), 60, Merge("k", 8, "+1", expireTs: 50)));
    }

    [Fact]
    public void Operands_without_an_operator_fail_naming_the_key_and_the_setting()
    {
        var error = Assert.Throws<MergeOperatorException>(() => Resolve(null, 0, Merge("k", 8, "+1"), Put("k", 7, "base")));
        Assert.Contains("'k'", error.Message);
        Assert.Contains("Settings.MergeOperator", error.Message);
        Assert.Equal("k"u8.ToArray(), error.Key.ToArray());
        Assert.Equal("base", Resolve(null, 0, Put("k", 7, "base")));
    }

    [Fact]
    public void An_operator_that_throws_surfaces_as_a_merge_operator_exception_naming_the_key()
    {
        var error = Assert.Throws<MergeOperatorException>(() => Resolve(new FailingOperator(), 0, Merge("k", 8, "!x"), Put("k", 7, "base")));
        Assert.Contains("'k'", error.Message);
        Assert.Contains(nameof(FailingOperator), error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(SlateDbErrorKind.Invalid, error.Kind);
    }

    [Fact]
    public void Try_settle_decides_puts_and_tombstones_alone_and_defers_operands()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1000));
        Assert.True(VersionResolver.TrySettle(Put("k", 1, "v"), time, out var value));
        Assert.Equal("v"u8.ToArray(), value);
        Assert.True(VersionResolver.TrySettle(Put("k", 1, "v", expireTs: 1000), time, out value));
        Assert.Null(value);
        Assert.True(VersionResolver.TrySettle(Delete("k", 1), time, out value));
        Assert.Null(value);
        Assert.False(VersionResolver.TrySettle(Merge("k", 1, "+1"), time, out _));
    }
}
