using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;
using Table = SlateDb.Memtables.Memtable;

namespace SlateDb.Core.Tests.Memtables;

public class MemtableTests
{
    [Fact]
    public void Add_then_TryGet_round_trips_every_field()
    {
        var table = new Table();
        var row = Put("user:1", 7, "Alice", createTs: 1234, expireTs: 5678);
        table.Add(row);

        Assert.True(table.TryGet(Bytes("user:1"), ulong.MaxValue, out var found));
        AssertSame(row, found);
    }

    [Fact]
    public void TryGet_returns_the_newest_version_at_or_below_max_seq()
    {
        var table = new Table();
        for (ulong seq = 1; seq <= 10; seq++)
        {
            table.Add(Put("k", seq * 10, $"v{seq}"));
        }

        Assert.False(table.TryGet(Bytes("k"), 9, out _));
        Assert.True(table.TryGet(Bytes("k"), 10, out var r));
        Assert.Equal(10UL, r.Seq);
        Assert.True(table.TryGet(Bytes("k"), 55, out r));
        Assert.Equal(50UL, r.Seq);
        Assert.Equal("v5", Show(r).Split('=')[1]);
        Assert.True(table.TryGet(Bytes("k"), ulong.MaxValue, out r));
        Assert.Equal(100UL, r.Seq);
    }

    [Fact]
    public void TryGet_returns_tombstones()
    {
        var table = new Table();
        table.Add(Put("k", 1, "v"));
        table.Add(Delete("k", 2));

        Assert.True(table.TryGet(Bytes("k"), ulong.MaxValue, out var r));
        Assert.Equal(RowKind.Delete, r.Kind);
        Assert.True(r.Value.IsEmpty);
        Assert.True(table.TryGet(Bytes("k"), 1, out r));
        Assert.Equal(RowKind.Put, r.Kind);
    }

    [Theory]
    [InlineData("a")] // before the first key
    [InlineData("ab")] // a prefix of a present key
    [InlineData("abd")] // between keys
    [InlineData("abcd")] // extends a present key
    [InlineData("zzz")] // after the last key
    public void TryGet_misses_absent_keys(string key)
    {
        var table = new Table();
        table.Add(Put("abc", 1, "x"));
        table.Add(Put("abe", 2, "y"));

        Assert.False(table.TryGet(Bytes(key), ulong.MaxValue, out _));
    }

    [Fact]
    public async Task Rows_come_out_by_key_ascending_then_seq_descending_whatever_the_insert_order()
    {
        const int Seed = 1234;
        var random = new Random(Seed);
        var table = new Table(chunkSizeBytes: 4096);
        var model = new List<Row>();
        ulong seq = 0;
        for (var i = 0; i < 5000; i++)
        {
            // Few keys, many versions each; seqs are unique but keys repeat in random order.
            var row = Put($"key{random.Next(200):D4}", ++seq, $"value{i}", createTs: i);
            model.Add(row);
        }

        foreach (var row in model.OrderBy(_ => random.Next()))
        {
            table.Add(row);
        }

        model.Sort((a, b) => RowOrder.Compare(a, b));
        var actual = await DrainAsync(table.CreateIterator(KeyRange.All));
        AssertSame(model, actual);
    }

    [Fact]
    public void Adding_the_same_key_and_seq_twice_throws_and_changes_nothing()
    {
        var table = new Table();
        table.Add(Put("k", 5, "first"));
        table.Add(Put("k", 6, "other"));
        var size = table.SizeBytes;

        var error = Assert.Throws<InvalidOperationException>(() => table.Add(Put("k", 5, "second")));
        Assert.Contains("seq 5", error.Message);
        Assert.Equal(2, table.Count);
        Assert.Equal(size, table.SizeBytes);
        Assert.True(table.TryGet(Bytes("k"), 5, out var r));
        Assert.Equal("k@5:Put=first", Show(r));
    }

    [Fact]
    public void Statistics_track_rows()
    {
        var table = new Table();
        Assert.True(table.IsEmpty);
        Assert.Equal(0, table.Count);
        Assert.Equal(0UL, table.MinSeq);
        Assert.Equal(0UL, table.MaxSeq);
        Assert.Equal(long.MinValue, table.MaxCreateTs);
        Assert.Equal(0, table.SizeBytes);

        var rows = new[]
        {
            Put("b", 20, "two", createTs: 300),
            Put("a", 10, "one", createTs: 100, expireTs: 999),
            Delete("c", 30, createTs: 200),
        };
        foreach (var row in rows)
        {
            table.Add(row);
        }

        Assert.False(table.IsEmpty);
        Assert.Equal(3, table.Count);
        Assert.Equal(10UL, table.MinSeq);
        Assert.Equal(30UL, table.MaxSeq);
        Assert.Equal(300, table.MaxCreateTs);
        Assert.Equal(rows.Sum(r => Table.EstimateEncodedSize(r)), table.SizeBytes);
        Assert.True(table.AllocatedBytes > 0);
    }

    [Fact]
    public void Size_estimate_counts_payload_lengths_and_per_row_overhead()
    {
        // key 3 + value 5 + varints (shared 1, key 1, value 1) + seq 8 + flags 1 + create ts 8.
        Assert.Equal(3 + 5 + 3 + 8 + 1 + 8, Table.EstimateEncodedSize(Put("abc", 1, "hello")));
        Assert.Equal(3 + 5 + 3 + 8 + 1 + 8 + 8, Table.EstimateEncodedSize(Put("abc", 1, "hello", expireTs: 5)));
        var big = Put(new byte[300], 1, new byte[20_000]);
        Assert.Equal(300 + 20_000 + 1 + 2 + 3 + 8 + 1 + 8, Table.EstimateEncodedSize(big));
    }

    [Fact]
    public void Freeze_makes_the_table_immutable_and_carries_the_wal_stamp()
    {
        var table = new Table();
        table.Add(Put("a", 1, "x", createTs: 42));
        table.Add(Put("b", 2, "y"));

        var frozen = table.Freeze(lastWalId: 17);

        Assert.True(table.IsFrozen);
        Assert.Same(table, frozen.Table);
        Assert.Equal(17UL, frozen.LastWalId);
        Assert.Equal(2, frozen.Count);
        Assert.Equal(1UL, frozen.MinSeq);
        Assert.Equal(2UL, frozen.MaxSeq);
        Assert.Equal(42, frozen.MaxCreateTs);
        Assert.Equal(table.SizeBytes, frozen.SizeBytes);
        Assert.False(frozen.IsEmpty);
        Assert.True(frozen.TryGet(Bytes("b"), ulong.MaxValue, out var r));
        Assert.Equal(2UL, r.Seq);

        var error = Assert.Throws<InvalidOperationException>(() => table.Add(Put("c", 3, "z")));
        Assert.Contains("frozen", error.Message);
        Assert.Throws<InvalidOperationException>(() => table.Freeze(18));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public async Task Immutable_table_iterates_like_the_table()
    {
        var table = new Table();
        table.Add(Put("a", 1, "x"));
        table.Add(Put("b", 2, "y"));
        var frozen = table.Freeze(1);

        var rows = await DrainAsync(frozen.CreateIterator(KeyRange.From(Bytes("b"))));
        Assert.Equal("b@2:Put=y", Show(rows));
    }

    [Fact]
    public async Task Empty_values_round_trip()
    {
        var table = new Table();
        table.Add(Put("a", 1, ""));
        table.Add(Put("b", 2, ""));
        table.Add(Put("a", 3, "not empty"));

        Assert.True(table.TryGet(Bytes("a"), 2, out var r));
        Assert.True(r.Value.IsEmpty);
        Assert.Equal(RowKind.Put, r.Kind);
        var rows = await DrainAsync(table.CreateIterator(KeyRange.All));
        Assert.Equal("a@3:Put=not empty, a@1:Put=, b@2:Put=", Show(rows));
    }

    [Fact]
    public async Task Keys_of_the_maximum_size_round_trip_and_sort()
    {
        var table = new Table(chunkSizeBytes: 64 * 1024);
        var keys = new List<byte[]>();
        for (var i = 0; i < 8; i++)
        {
            var key = new byte[Limits.MaxKeyLength];
            key.AsSpan().Fill(0xAB);
            key[^1] = (byte)(7 - i); // differ only in the last byte
            keys.Add(key);
            table.Add(Put(key, (ulong)i + 1, [(byte)i]));
        }

        var rows = await DrainAsync(table.CreateIterator(KeyRange.All));
        Assert.Equal(8, rows.Count);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(Limits.MaxKeyLength, rows[i].Key.Length);
            Assert.Equal(i, rows[i].Key.Span[^1]);
            Assert.True(table.TryGet(keys[i], ulong.MaxValue, out var r));
            Assert.Equal((byte)i, r.Value.Span[0]);
        }
    }

    [Fact]
    public void Invalid_keys_and_values_are_rejected_with_the_limit()
    {
        var table = new Table();
        var tooLong = Assert.Throws<ArgumentException>(() => table.Add(Put(new byte[Limits.MaxKeyLength + 1], 1, [])));
        Assert.Contains("65535", tooLong.Message);
        Assert.Contains("65536", tooLong.Message);
        Assert.Throws<ArgumentException>(() => table.Add(Put(Array.Empty<byte>(), 1, [])));
        Assert.True(table.IsEmpty);
    }

    [Fact]
    public async Task Keys_sharing_long_prefixes_sort_by_their_differing_suffix()
    {
        const int Seed = 99;
        var random = new Random(Seed);
        var prefix = new string('p', 1000);
        var suffixes = Enumerable.Range(0, 500).Select(i => $"{i:D5}").ToList();
        var table = new Table(chunkSizeBytes: 16 * 1024);
        ulong seq = 0;
        foreach (var suffix in suffixes.OrderBy(_ => random.Next()))
        {
            table.Add(Put(prefix + suffix, ++seq, suffix));
        }

        // Plus keys that are prefixes of one another.
        table.Add(Put(prefix, ++seq, "bare"));
        table.Add(Put(prefix + "0", ++seq, "zero"));

        var rows = await DrainAsync(table.CreateIterator(KeyRange.All));
        var expected = new[] { "bare", "zero" }.Concat(suffixes).ToList();
        Assert.Equal(expected, rows.Select(r => System.Text.Encoding.UTF8.GetString(r.Value.Span)).ToList());
    }

    [Fact]
    public async Task Short_keys_differing_by_trailing_zero_bytes_are_distinct()
    {
        // Keys shorter than eight bytes are compared through a zero-padded prefix first; padding must not make
        // "a" equal to "a\0".
        var table = new Table();
        byte[][] keys = [[0x61, 0, 0], [0x61], [0x61, 0], [0x61, 0, 0, 0, 0, 0, 0, 0, 0], [0x61, 0, 0, 0, 0, 0, 0, 0]];
        ulong seq = 0;
        foreach (var key in keys)
        {
            table.Add(Put(key, ++seq, []));
        }

        var rows = await DrainAsync(table.CreateIterator(KeyRange.All));
        Assert.Equal([1, 2, 3, 8, 9], rows.Select(r => r.Key.Length));
        foreach (var key in keys)
        {
            Assert.True(table.TryGet(key, ulong.MaxValue, out var r));
            Assert.Equal(key.Length, r.Key.Length);
        }
    }

    [Fact]
    public async Task Tiny_chunks_and_oversized_values_round_trip()
    {
        // A 64-byte chunk forces a new chunk every row or two and a dedicated chunk for anything over 16 bytes.
        var table = new Table(chunkSizeBytes: 64);
        var expected = new List<Row>();
        for (var i = 0; i < 300; i++)
        {
            var value = new byte[i % 7 == 0 ? 5000 + i : i % 30];
            value.AsSpan().Fill((byte)i);
            var row = Put(Bytes($"k{i:D4}"), (ulong)i + 1, value);
            expected.Add(row);
            table.Add(row);
        }

        AssertSame(expected, await DrainAsync(table.CreateIterator(KeyRange.All)));
    }

    [Fact]
    public void Rows_stay_valid_while_the_table_grows()
    {
        var table = new Table(chunkSizeBytes: 1024);
        table.Add(Put("early", 1, "value that must not move"));
        Assert.True(table.TryGet(Bytes("early"), ulong.MaxValue, out var held));

        for (var i = 0; i < 20_000; i++)
        {
            table.Add(Put($"later{i:D6}", (ulong)i + 2, "filler filler filler"));
        }

        AssertSame(Put("early", 1, "value that must not move"), held);
    }

    [Fact]
    public async Task A_million_rows_round_trip()
    {
        const int Seed = 7;
        const int N = 1_000_000;
        var random = new Random(Seed);
        var table = new Table();

        // Random 16-byte keys (a counter in the last 4 bytes keeps them unique), 8-byte values.
        var key = new byte[16];
        var value = new byte[8];
        for (var i = 0; i < N; i++)
        {
            random.NextBytes(key.AsSpan(0, 12));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(12), i);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(value, i);
            table.Add(new Row(key, (ulong)i + 1, RowKind.Put, value, 0));
        }

        Assert.Equal(N, table.Count);
        var iterator = table.CreateIterator(KeyRange.All);
        var count = 0;
        var previous = Array.Empty<byte>();
        while (await iterator.MoveNextAsync())
        {
            var row = iterator.Current;
            if (previous.AsSpan().SequenceCompareTo(row.Key.Span) >= 0)
            {
                Assert.Fail($"order broken at row {count} (seed {Seed})");
            }

            var i = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(row.Key.Span[12..]);
            Assert.Equal((ulong)i + 1, row.Seq);
            Assert.Equal(i, System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(row.Value.Span));
            previous = row.Key.ToArray();
            count++;
        }

        Assert.Equal(N, count);
    }
}
