using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Format;
using SlateDb.Wal;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Wal;

public sealed class WalStagingBufferTests
{
    private static List<Row> MixedRows()
    {
        var large = new byte[WalStagingBuffer.MaxChunkBytes + 12345];
        new Random(7).NextBytes(large);
        return
        [
            Put(Key("a"), 1, "one"),
            Delete(Key("deleted"), 2, createTs: 2000),
            Put(Key("expiring"), 3, Key("soon"), createTs: 3000, expireTs: 9000),
            Put(Key("empty-value"), 4, [], createTs: long.MinValue),
            Merge(Key("a"), 5, "+1", createTs: long.MaxValue),
            Put(Key("large"), 6, large, createTs: 6000, expireTs: 0),
            Put(new byte[ushort.MaxValue], ulong.MaxValue, Key("max key"), createTs: -1, expireTs: long.MinValue),
            Put(Key("after-large"), 8, "small again"),
        ];
    }

    private static List<Row> ReadBack(WalStagingBuffer buffer)
    {
        var rows = new List<Row>();
        var reader = buffer.GetReader();
        while (reader.TryRead(out var row))
        {
            rows.Add(row.Detach());
        }

        return rows;
    }

    [Fact]
    public void Round_trips_every_field_including_deletes_expiry_empty_and_oversized_values()
    {
        var pool = new CountingPool();
        using var buffer = new WalStagingBuffer(pool);
        var rows = MixedRows();
        foreach (var row in rows)
        {
            buffer.Append(row);
        }

        Assert.Equal(rows.Count, buffer.RowCount);
        Assert.Equal(rows.Sum(r => (long)r.Key.Length + r.Value.Length), buffer.PayloadBytes);
        Assert.True(buffer.ChunkCount >= 3, $"the large value and the max key should each need a new chunk, got {buffer.ChunkCount}");
        AssertRowsEqual(rows, ReadBack(buffer));
        AssertRowsEqual(rows, ReadBack(buffer)); // reading does not consume
    }

    [Fact]
    public void Round_trips_many_rows_across_chunks_in_append_order()
    {
        const int Seed = 1234;
        var random = new Random(Seed);
        var rows = new List<Row>();
        using var buffer = new WalStagingBuffer(new CountingPool());
        for (var i = 0; i < 5000; i++)
        {
            var key = new byte[1 + random.Next(40)];
            random.NextBytes(key);
            var value = new byte[random.Next(3) == 0 ? 0 : random.Next(600)];
            random.NextBytes(value);
            var kind = value.Length == 0 && random.Next(2) == 0 ? RowKind.Delete : RowKind.Put;
            var row = new Row(key, (ulong)i + 1, kind, value, random.NextInt64(), random.Next(4) == 0 ? random.NextInt64() : Row.NoExpiry);
            rows.Add(row);
            buffer.Append(row);
        }

        Assert.True(buffer.ChunkCount > 1, $"seed {Seed}: expected several chunks");
        AssertRowsEqual(rows, ReadBack(buffer));
    }

    [Fact]
    public void An_empty_buffer_reads_nothing_and_rents_nothing()
    {
        var pool = new CountingPool();
        using var buffer = new WalStagingBuffer(pool);
        Assert.Empty(ReadBack(buffer));
        Assert.Equal(0, pool.Rented);
    }

    [Fact]
    public void Invalid_rows_are_rejected_before_anything_is_stored()
    {
        using var buffer = new WalStagingBuffer(new CountingPool());
        Assert.Throws<ArgumentException>(() => buffer.Append(new Row(Array.Empty<byte>(), 1, RowKind.Put, Key("v"), 0)));
        Assert.Throws<ArgumentException>(() => buffer.Append(new Row(new byte[ushort.MaxValue + 1], 1, RowKind.Put, Key("v"), 0)));
        var e = Assert.Throws<ArgumentException>(() => buffer.Append(new Row(Key("k"), 1, RowKind.Delete, Key("v"), 0)));
        Assert.Contains("6B", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => buffer.Append(new Row(Key("k"), 1, (RowKind)4, Key("v"), 0)));
        Assert.Equal(0, buffer.RowCount);
        Assert.Empty(ReadBack(buffer));
    }

    [Fact]
    public void Dispose_returns_every_chunk_once()
    {
        var pool = new CountingPool();
        var buffer = new WalStagingBuffer(pool);
        foreach (var row in MixedRows())
        {
            buffer.Append(row);
        }

        Assert.Equal(buffer.ChunkCount, pool.Rented);
        buffer.Dispose();
        buffer.Dispose();
        Assert.Equal(pool.Rented, pool.Returned);
        Assert.Throws<ObjectDisposedException>(() => buffer.Append(Put(Key("k"), 9, "v")));
    }

    [Fact]
    public async Task Wal_buffer_hands_its_rows_over_on_seal_and_returns_chunks_on_fail_and_dispose()
    {
        var pool = new CountingPool();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var wal = new WalBuffer(new SstWriterOptions(), time, pool);
        Assert.True(wal.IsEmpty);
        Assert.Throws<InvalidOperationException>(() => wal.Seal(1));

        var rows = MixedRows();
        foreach (var row in rows)
        {
            wal.Append(row);
        }

        Assert.False(wal.IsEmpty);
        Assert.True(wal.Bytes >= rows.Sum(r => (long)r.Key.Length + r.Value.Length));
        var durable = wal.Durable;
        var sealedWal = wal.Seal(7);
        Assert.True(wal.IsEmpty);
        Assert.Equal(0, wal.Bytes);
        Assert.NotSame(durable, wal.Durable);
        Assert.Same(durable, sealedWal.Durable.Task);
        Assert.Equal((7UL, 1UL, 8UL, (long)rows.Count), (sealedWal.WalId, sealedWal.MinSeq, sealedWal.MaxSeq, sealedWal.Rows));
        Assert.Equal(SstKind.Wal, sealedWal.Options.Kind);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), sealedWal.Options.CreationTimeMs);
        Assert.Equal(0, pool.Returned); // the sealed rows now belong to the WAL writer

        // Encoding the staged rows gives a WAL SST holding exactly the rows, in order.
        using (var writer = new SstWriter(sealedWal.Options))
        {
            sealedWal.Staged.WriteTo(writer);
            var sst = writer.Finish();
            AssertRowsEqual(rows, await ReadAllAsync(SstReader.Open(sst.Data, "wal/7.sst")));
        }

        sealedWal.Staged.Dispose();
        Assert.Equal(pool.Rented, pool.Returned);

        // Fail returns the current generation's chunks and faults its durable task.
        wal.Append(Put(Key("x"), 9, "v"));
        var failed = wal.Durable;
        wal.Fail(new InvalidOperationException("boom"));
        Assert.True(failed.IsFaulted);
        Assert.True(wal.IsEmpty);
        Assert.Equal(pool.Rented, pool.Returned);

        // Dispose returns the chunks of rows never sealed.
        wal.Append(Put(Key("y"), 10, "v"));
        Assert.NotEqual(pool.Rented, pool.Returned);
        wal.Dispose();
        Assert.Equal(pool.Rented, pool.Returned);
    }

    /// <summary>An array pool that counts rents and returns and rejects a buffer returned twice.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        private readonly HashSet<byte[]> _out = new(ReferenceEqualityComparer.Instance);

        public int Rented { get; private set; }

        public int Returned { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            var array = new byte[minimumLength];
            _out.Add(array);
            Rented++;
            return array;
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Assert.True(_out.Remove(array), "an array was returned twice or was never rented here");
            Returned++;
        }
    }
}
