using System.Text;

namespace SlateDb.Testing.Simulation;

/// <summary>
/// The reference model of a database's contents: a map ordered like the database (ordinal bytes). Each entry
/// also remembers the sequence number of the write that set it when known (0 when not).
/// </summary>
public sealed class KeyValueModel
{
    private readonly SortedDictionary<byte[], Entry> _entries;

    public KeyValueModel() => _entries = new SortedDictionary<byte[], Entry>(Bytes.Ordinal);

    public KeyValueModel(KeyValueModel other) => _entries = new SortedDictionary<byte[], Entry>(other._entries, Bytes.Ordinal);

    public int Count => _entries.Count;

    public IEnumerable<byte[]> Keys => _entries.Keys;

    public IEnumerable<KeyValuePair<byte[], Entry>> Entries => _entries;

    public byte[]? Get(byte[] key) => _entries.TryGetValue(key, out var e) ? e.Value : null;

    public bool TryGetEntry(byte[] key, out Entry entry) => _entries.TryGetValue(key, out entry);

    /// <summary>Applies every mutation of <paramref name="op"/> in order, stamping puts with <paramref name="seq"/>.</summary>
    public void Apply(WriteOp op, ulong seq)
    {
        foreach (var m in op.Mutations)
        {
            Set(m.Key, m.Value, seq);
        }
    }

    public void Set(byte[] key, byte[]? value, ulong seq)
    {
        if (value is null)
        {
            _entries.Remove(key);
        }
        else
        {
            _entries[key] = new Entry(value, seq);
        }
    }

    /// <summary>The entries inside <paramref name="range"/> at or after <paramref name="from"/> (when given), in order.</summary>
    public IEnumerable<KeyValuePair<byte[], Entry>> Range(KeyRange range, byte[]? from = null)
    {
        foreach (var pair in _entries)
        {
            if (range.IsPastEnd(pair.Key))
            {
                yield break;
            }

            if (range.Contains(pair.Key) && (from is null || Bytes.Ordinal.Compare(pair.Key, from) >= 0))
            {
                yield return pair;
            }
        }
    }

    /// <summary>Whether both models hold the same keys with the same values (sequence numbers are not compared).</summary>
    public bool SameContents(KeyValueModel other)
    {
        if (other.Count != Count)
        {
            return false;
        }

        foreach (var pair in _entries)
        {
            if (!other._entries.TryGetValue(pair.Key, out var e) || !Bytes.Ordinal.Equals(e.Value, pair.Value.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A readable list of the keys whose values differ, at most <paramref name="max"/> of them.</summary>
    public string DescribeDifferences(KeyValueModel actual, int max = 20)
    {
        var keys = new SortedSet<byte[]>(_entries.Keys, Bytes.Ordinal);
        keys.UnionWith(actual._entries.Keys);
        var text = new StringBuilder();
        var shown = 0;
        var total = 0;
        foreach (var key in keys)
        {
            var expected = Get(key);
            var got = actual.Get(key);
            if (Bytes.Ordinal.Equals(expected, got))
            {
                continue;
            }

            total++;
            if (shown++ < max)
            {
                text.Append("  key ").Append(Bytes.Show(key)).Append(": expected ").Append(Bytes.Show(expected))
                    .Append(", found ").Append(Bytes.Show(got)).AppendLine();
            }
        }

        if (total > max)
        {
            text.Append("  ... and ").Append(total - max).AppendLine(" more");
        }

        return total == 0 ? "  (no differences)" : text.ToString();
    }

    /// <summary>Reads every key of <paramref name="db"/> with a full scan, checking the order as it goes.</summary>
    public static async Task<KeyValueModel> ReadAllAsync(Db db, ReadOptions? readOptions = null, CancellationToken cancellationToken = default)
    {
        var model = new KeyValueModel();
        byte[]? previous = null;
        await foreach (var kv in db.ScanAsync(KeyRange.All, readOptions, cancellationToken))
        {
            var key = kv.Key.ToArray();
            if (previous is not null && Bytes.Ordinal.Compare(previous, key) >= 0)
            {
                throw new InvalidOperationException(
                    $"The scan is out of order: {Bytes.Show(key)} came after {Bytes.Show(previous)}.");
            }

            model.Set(key, kv.Value.ToArray(), kv.Seq);
            previous = key;
        }

        return model;
    }

    /// <summary>A value and the sequence number of the write that set it (0 when unknown).</summary>
    public readonly record struct Entry(byte[] Value, ulong Seq);
}
