using System.Text;
using SlateDb.Format;
using Xunit;

namespace SlateDb.Core.Tests.Write;

public sealed class WriteBatchTests
{
    [Fact]
    public void Put_and_delete_are_recorded_in_order_with_copies_of_the_bytes()
    {
        using var batch = new WriteBatch();
        var key = "k1"u8.ToArray();
        var value = "v1"u8.ToArray();
        batch.Put(key, value).Delete("k2");
        key[0] = (byte)'x';
        value[0] = (byte)'x';

        Assert.Equal(2, batch.Count);
        var rows = LiveRows(batch);
        Assert.Equal(("k1", RowKind.Put, "v1"), rows[0]);
        Assert.Equal(("k2", RowKind.Delete, ""), rows[1]);
    }

    [Fact]
    public void A_later_operation_on_the_same_key_wins()
    {
        using var batch = new WriteBatch();
        batch.Put("a", "1").Put("b", "2").Delete("a").Put("c", "3").Put("b", "22");

        Assert.Equal(3, batch.Count);
        Assert.Equal([("a", RowKind.Delete, ""), ("c", RowKind.Put, "3"), ("b", RowKind.Put, "22")], LiveRows(batch));
    }

    [Fact]
    public void Many_keys_with_repeats_keep_exactly_the_last_operation_per_key()
    {
        const int seed = 12345;
        var random = new Random(seed);
        using var batch = new WriteBatch();
        var model = new Dictionary<string, string?>();
        var order = new List<string>();
        for (var i = 0; i < 5000; i++)
        {
            var key = "key" + random.Next(700);
            if (random.Next(4) == 0)
            {
                batch.Delete(key);
                model[key] = null;
            }
            else
            {
                var value = "v" + i;
                batch.Put(key, value);
                model[key] = value;
            }

            order.Remove(key);
            order.Add(key);
        }

        var rows = LiveRows(batch);
        Assert.True(model.Count == batch.Count, $"seed {seed}: count {batch.Count} vs model {model.Count}");
        Assert.Equal(order, rows.Select(r => r.Key).ToList());
        foreach (var (key, kind, value) in rows)
        {
            var expected = model[key];
            Assert.Equal(expected is null ? RowKind.Delete : RowKind.Put, kind);
            Assert.Equal(expected ?? "", value);
        }
    }

    [Fact]
    public void Keys_differing_only_in_bytes_are_distinct()
    {
        using var batch = new WriteBatch();
        batch.Put([1, 2, 3], [9]).Put([1, 2], [8]).Put([1, 2, 3, 0], [7]);
        Assert.Equal(3, batch.Count);
    }

    [Fact]
    public void Empty_keys_are_rejected_at_put_time()
    {
        using var batch = new WriteBatch();
        var e = Assert.Throws<ArgumentException>(() => batch.Put(ReadOnlySpan<byte>.Empty, "v"u8));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => batch.Delete(""));
        Assert.Throws<ArgumentException>(() => batch.Put("", "v"));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void Oversize_keys_and_values_name_the_limit_and_the_size()
    {
        using var batch = new WriteBatch();
        var e = Assert.Throws<ArgumentException>(() => batch.Put(new byte[65536], "v"u8));
        Assert.Contains("65536", e.Message, StringComparison.Ordinal);
        Assert.Contains("65535", e.Message, StringComparison.Ordinal);

        var big = new byte[64 * 1024 * 1024 + 1];
        var v = Assert.Throws<ArgumentException>(() => batch.Put("k"u8, big));
        Assert.Contains((64 * 1024 * 1024 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), v.Message, StringComparison.Ordinal);
        Assert.Contains((64 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), v.Message, StringComparison.Ordinal);

        var s = Assert.Throws<ArgumentException>(() => batch.Put(new string('é', 40000), "v"));
        Assert.Contains("80000", s.Message, StringComparison.Ordinal);
        Assert.Equal(0, batch.Count);

        batch.Put(new byte[65535], []);
        Assert.Equal(1, batch.Count);
    }

    [Fact]
    public void Clear_empties_the_batch_for_reuse_and_dispose_forbids_further_use()
    {
        var batch = new WriteBatch();
        batch.Put("a", "1").Put("a", "2");
        batch.Clear();
        Assert.Equal(0, batch.Count);
        batch.Put("a", "3");
        Assert.Equal([("a", RowKind.Put, "3")], LiveRows(batch));

        batch.Dispose();
        Assert.Equal(0, batch.Count);
        Assert.Throws<ObjectDisposedException>(() => batch.Put("a", "1"));
        batch.Dispose();
    }

    [Fact]
    public void Large_batches_grow_their_buffers()
    {
        using var batch = new WriteBatch();
        var value = new byte[10_000];
        for (var i = 0; i < 1000; i++)
        {
            value[0] = (byte)i;
            batch.Put(Encoding.UTF8.GetBytes($"key{i:D5}"), value);
        }

        Assert.Equal(1000, batch.Count);
        Assert.Equal(1000L * (8 + 10_000), batch.LiveBytes);
        var row = batch.GetRow(999, 7, 0);
        Assert.Equal("key00999", Encoding.UTF8.GetString(row.Key.Span));
        Assert.Equal((byte)(999 & 0xFF), row.Value.Span[0]);
        Assert.Equal(7UL, row.Seq);
    }

    private static List<(string Key, RowKind Kind, string Value)> LiveRows(WriteBatch batch)
    {
        var rows = new List<(string, RowKind, string)>();
        for (var i = 0; i < batch.EntryCount; i++)
        {
            if (!batch.IsSuperseded(i))
            {
                var row = batch.GetRow(i, 1, 0);
                rows.Add((Encoding.UTF8.GetString(row.Key.Span), row.Kind, Encoding.UTF8.GetString(row.Value.Span)));
            }
        }

        return rows;
    }
}
