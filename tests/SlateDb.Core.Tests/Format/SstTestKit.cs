using System.Buffers.Binary;
using System.Text;
using SlateDb.Format;
using SlateDb.ObjectStore;
using SlateDb.Read;
using Xunit;

namespace SlateDb.Core.Tests.Format;

/// <summary>Builders and assertions shared by the format tests.</summary>
internal static class SstTestKit
{
    public static byte[] Key(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A 16-byte big-endian key for <paramref name="i"/> (sorts like the number).</summary>
    public static byte[] NumberKey(long i, string prefix = "key-")
    {
        var key = new byte[prefix.Length + 8];
        Encoding.ASCII.GetBytes(prefix, key);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(prefix.Length), i);
        return key;
    }

    public static Row Put(byte[] key, ulong seq, string value, long createTs = 1000)
        => new(key, seq, RowKind.Put, Encoding.UTF8.GetBytes(value), createTs);

    public static Row Put(byte[] key, ulong seq, byte[] value, long createTs = 1000, long expireTs = Row.NoExpiry)
        => new(key, seq, RowKind.Put, value, createTs, expireTs);

    public static Row Delete(byte[] key, ulong seq, long createTs = 1000) => new(key, seq, RowKind.Delete, ReadOnlyMemory<byte>.Empty, createTs);

    public static Row Merge(byte[] key, ulong seq, string operand, long createTs = 1000)
        => new(key, seq, RowKind.Merge, Encoding.UTF8.GetBytes(operand), createTs);

    /// <summary>Sorts rows into compacted order (key ascending, seq descending).</summary>
    public static List<Row> Sorted(IEnumerable<Row> rows)
    {
        var list = rows.ToList();
        list.Sort((a, b) =>
        {
            var c = a.Key.Span.SequenceCompareTo(b.Key.Span);
            return c != 0 ? c : b.Seq.CompareTo(a.Seq);
        });
        return list;
    }

    public static SstBuildResult Build(IEnumerable<Row> rows, SstWriterOptions? options = null)
    {
        using var writer = new SstWriter(options ?? new SstWriterOptions());
        foreach (var row in rows)
        {
            writer.Add(row);
        }

        return writer.Finish();
    }

    /// <summary>
    /// One data block of <paramref name="rows"/> (in order), each key sharing with its predecessor the longest common
    /// prefix when <paramref name="maximal"/>, else a random shorter one: both are valid blocks.
    /// </summary>
    public static DataBlock EncodeBlock(IReadOnlyList<Row> rows, bool maximal, Random random, string objectPath)
    {
        var builder = new BlockBuilder(1 << 16);
        byte[]? previous = null;
        foreach (var row in rows)
        {
            var common = previous is null ? 0 : row.Key.Span.CommonPrefixLength(previous);
            var shared = maximal ? common : random.Next(0, common + 1);
            Assert.True(builder.TryAdd(row.Key.Span, row.Value.Span, row, int.MaxValue, shared));
            previous = row.Key.ToArray();
        }

        return new DataBlock(builder.Finish().ToArray(), objectPath, 0);
    }

    public static async Task<List<Row>> ReadAllAsync(IRowIterator iterator)
    {
        var rows = new List<Row>();
        while (await iterator.MoveNextAsync())
        {
            rows.Add(iterator.Current.Detach());
        }

        return rows;
    }

    public static Task<List<Row>> ReadAllAsync(SstReader reader, KeyRange? range = null, SstReadOptions? options = null)
        => ReadAllAsync(reader.CreateIterator(range ?? KeyRange.All, options));

    public static async Task<(InMemoryObjectStore Store, SstReader Reader)> StoreAndOpenAsync(SstBuildResult sst, string path = "compacted/test.sst")
    {
        var store = new InMemoryObjectStore();
        await store.PutAsync(path, sst.Data, PutMode.Create);
        return (store, await SstReader.OpenAsync(store, path));
    }

    public static bool RowEquals(in Row a, in Row b)
        => a.Key.Span.SequenceEqual(b.Key.Span) && a.Seq == b.Seq && a.Kind == b.Kind && a.Value.Span.SequenceEqual(b.Value.Span)
           && a.CreateTs == b.CreateTs && a.ExpireTs == b.ExpireTs;

    public static void AssertRowsEqual(IReadOnlyList<Row> expected, IReadOnlyList<Row> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            if (!RowEquals(expected[i], actual[i]))
            {
                Assert.Fail($"Row {i} differs: expected {expected[i]} (ts {expected[i].CreateTs}/{expected[i].ExpireTs}), got {actual[i]} (ts {actual[i].CreateTs}/{actual[i].ExpireTs}).");
            }
        }
    }
}

/// <summary>Passes every call to an inner store; tests override what they observe or break.</summary>
internal abstract class DelegatingObjectStore(IObjectStore inner) : IObjectStore
{
    public string Uri => inner.Uri;

    public virtual Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
        => inner.GetAsync(path, range, cancellationToken);

    public virtual Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default) => inner.HeadAsync(path, cancellationToken);

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => inner.PutAsync(path, data, mode, cancellationToken);

    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
        => inner.PutAsync(path, data, mode, options, cancellationToken);

    public IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, CancellationToken cancellationToken = default)
        => inner.ListAsync(prefix, startAfter, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default) => inner.CopyAsync(from, to, cancellationToken);
}

/// <summary>Counts the requests that reach a store.</summary>
internal sealed class CountingObjectStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    private int _gets;
    private int _heads;

    public int Gets => _gets;

    public int Heads => _heads;

    public void Reset() => (_gets, _heads) = (0, 0);

    public override Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        return base.GetAsync(path, range, cancellationToken);
    }

    public override Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _heads);
        return base.HeadAsync(path, cancellationToken);
    }
}

/// <summary>Fails the next GET with a transient error when asked to.</summary>
internal sealed class FlakyObjectStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    public bool FailNext { get; set; }

    public override Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        if (FailNext)
        {
            FailNext = false;
            return Task.FromException<ObjectData>(new ObjectStoreException(path, Uri, "injected", isTransient: true));
        }

        return base.GetAsync(path, range, cancellationToken);
    }
}
