using System.Text;
using SlateDb.Format;
using SlateDb.Read;
using Xunit;

namespace SlateDb.Core.Tests.Read;

/// <summary>Builders and helpers for rows in memtable and iterator tests.</summary>
internal static class TestRows
{
    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static Row Put(string key, ulong seq, string value, long createTs = 0, long expireTs = Row.NoExpiry)
        => new(Bytes(key), seq, RowKind.Put, Bytes(value), createTs, expireTs);

    public static Row Put(byte[] key, ulong seq, byte[] value, long createTs = 0, long expireTs = Row.NoExpiry)
        => new(key, seq, RowKind.Put, value, createTs, expireTs);

    public static Row Delete(string key, ulong seq, long createTs = 0)
        => new(Bytes(key), seq, RowKind.Delete, ReadOnlyMemory<byte>.Empty, createTs);

    public static Row Merge(string key, ulong seq, string value, long expireTs = Row.NoExpiry)
        => new(Bytes(key), seq, RowKind.Merge, Bytes(value), 0, expireTs);

    /// <summary>Reads an iterator to its end, detaching each row.</summary>
    public static async Task<List<Row>> DrainAsync(IRowIterator iterator, int limit = int.MaxValue)
    {
        var rows = new List<Row>();
        while (rows.Count < limit && await iterator.MoveNextAsync())
        {
            rows.Add(iterator.Current.Detach());
        }

        return rows;
    }

    /// <summary>A compact rendering for assertion messages: key@seq:kind=value.</summary>
    public static string Show(Row row)
        => $"{Encoding.UTF8.GetString(row.Key.Span)}@{row.Seq}:{row.Kind}={Encoding.UTF8.GetString(row.Value.Span)}"
           + (row.HasExpiry ? $"(exp {row.ExpireTs})" : string.Empty);

    public static string Show(IEnumerable<Row> rows) => string.Join(", ", rows.Select(Show));

    /// <summary>Asserts the two rows carry the same key, seq, kind, value and timestamps.</summary>
    public static void AssertSame(Row expected, Row actual)
    {
        Assert.True(expected.Key.Span.SequenceEqual(actual.Key.Span), $"key: expected {Show(expected)}, got {Show(actual)}");
        Assert.Equal(expected.Seq, actual.Seq);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.True(expected.Value.Span.SequenceEqual(actual.Value.Span), $"value: expected {Show(expected)}, got {Show(actual)}");
        Assert.Equal(expected.CreateTs, actual.CreateTs);
        Assert.Equal(expected.ExpireTs, actual.ExpireTs);
    }

    public static void AssertSame(IReadOnlyList<Row> expected, IReadOnlyList<Row> actual)
    {
        Assert.True(expected.Count == actual.Count, $"expected {expected.Count} rows, got {actual.Count}: {Show(actual.Take(20))}");
        for (var i = 0; i < expected.Count; i++)
        {
            AssertSame(expected[i], actual[i]);
        }
    }
}
