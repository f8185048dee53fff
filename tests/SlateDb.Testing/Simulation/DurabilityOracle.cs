using System.Text;

namespace SlateDb.Testing.Simulation;

/// <summary>
/// Remembers what a database acknowledged, in issue order, and judges what a reopened database recovered.
///
/// Writes are issued one after another, so issue order is sequence order. A write is <b>acknowledged</b>
/// when its call returned a handle (it is applied and visible), <b>durable</b> when its handle's
/// <c>Durable</c> completed or a later <c>FlushAsync</c> returned (durability is a prefix: a durable write
/// makes every earlier acknowledged write durable), and <b>unknown</b> when its call failed for a reason
/// other than bad input (it may or may not have been applied). Rejected writes (bad input) never count.
///
/// After a crash the recovered contents must satisfy two rules, checked in this order so that a failure
/// names the simplest broken promise:
///  1. Per key: the value left by the last durable write of that key (or the base value) is present, or a
///     value some later write attempted. A durably acknowledged delete never comes back.
///  2. Whole state: the contents equal the base state plus some prefix of the writes that contains every
///     durable write (batches are atomic, nothing is reordered). Unknown writes may be in or out.
/// </summary>
public sealed class DurabilityOracle
{
    private const int MaxUnknownForPrefixCheck = 6;

    private readonly List<Tracked> _writes = [];
    private KeyValueModel _base;
    private KeyValueModel _current;
    private int _durableThrough = -1;

    /// <param name="initial">The contents known to be in the database when tracking starts.</param>
    public DurabilityOracle(KeyValueModel? initial = null)
    {
        _base = initial is null ? new KeyValueModel() : new KeyValueModel(initial);
        _current = new KeyValueModel(_base);
    }

    /// <summary>The expected contents: the base plus every acknowledged write (exact while no write is unknown).</summary>
    public KeyValueModel Current => _current;

    /// <summary>How many writes were acknowledged or left unknown since the base.</summary>
    public int WriteCount => _writes.Count;

    /// <summary>How many writes failed with an unknown outcome since the base.</summary>
    public int UnknownCount { get; private set; }

    /// <summary>Records that <paramref name="op"/> was acknowledged with <paramref name="handle"/>; returns its index.</summary>
    public int Acknowledged(WriteOp op, WriteHandle handle) => Acknowledged(op, handle.Seq);

    /// <summary>Records that <paramref name="op"/> was acknowledged with sequence number <paramref name="seq"/>.</summary>
    public int Acknowledged(WriteOp op, ulong seq)
    {
        _writes.Add(new Tracked(op, seq, Unknown: false));
        _current.Apply(op, seq);
        return _writes.Count - 1;
    }

    /// <summary>Records that <paramref name="op"/> failed with an error that leaves its outcome unknown.</summary>
    public void Unknown(WriteOp op)
    {
        _writes.Add(new Tracked(op, 0, Unknown: true));
        UnknownCount++;
    }

    /// <summary>Records that the write with index <paramref name="index"/> (and so every earlier one) is durable.</summary>
    public void DurableThrough(int index) => _durableThrough = Math.Max(_durableThrough, index);

    /// <summary>Records that every write acknowledged so far is durable (after a successful flush or close).</summary>
    public void AllDurable() => DurableThrough(_writes.Count - 1);

    /// <summary>Starts over from <paramref name="state"/>, known to be the database's contents now.</summary>
    public void Rebase(KeyValueModel state)
    {
        _base = new KeyValueModel(state);
        _current = new KeyValueModel(state);
        _writes.Clear();
        _durableThrough = -1;
        UnknownCount = 0;
    }

    /// <summary>
    /// Checks <paramref name="recovered"/> against both rules; throws with a readable report naming
    /// <paramref name="context"/> (e.g. the seed and crash point) when either is broken.
    /// </summary>
    public void AssertRecovered(KeyValueModel recovered, string context)
    {
        var perKey = CheckPerKey(recovered);
        if (perKey.Length > 0)
        {
            throw new DurabilityViolationException(
                $"{context}: durably acknowledged writes were lost or undone.\n{perKey}" +
                $"Recovered {recovered.Count} keys: {string.Join(", ", recovered.Keys.Take(30).Select(k => Bytes.Show(k)))}\n{Describe()}");
        }

        if (UnknownCount <= MaxUnknownForPrefixCheck && !MatchesSomePrefix(recovered))
        {
            throw new DurabilityViolationException(
                $"{context}: the recovered contents are not the result of any prefix of the writes that includes every durable one " +
                $"(a batch was split or writes were reordered).\nRecovered vs. all writes applied:\n" +
                $"{_current.DescribeDifferences(recovered)}{Describe()}");
        }
    }

    private string CheckPerKey(KeyValueModel recovered)
    {
        // For each key: the index of the last acknowledged write at or before the durable point touching it.
        var lastDurable = new Dictionary<byte[], (int Index, byte[]? Value)>(Bytes.Ordinal);
        var allowedLater = new Dictionary<byte[], List<byte[]?>>(Bytes.Ordinal);
        for (var i = 0; i < _writes.Count; i++)
        {
            var w = _writes[i];
            foreach (var (key, value) in Final(w.Op))
            {
                if (i <= _durableThrough && !w.Unknown)
                {
                    lastDurable[key] = (i, value);
                    allowedLater.Remove(key);
                }
                else
                {
                    if (!allowedLater.TryGetValue(key, out var list))
                    {
                        allowedLater[key] = list = [];
                    }

                    list.Add(value);
                }
            }
        }

        var report = new StringBuilder();
        var keys = new SortedSet<byte[]>(_base.Keys, Bytes.Ordinal);
        keys.UnionWith(recovered.Keys);
        keys.UnionWith(lastDurable.Keys);
        keys.UnionWith(allowedLater.Keys);
        foreach (var key in keys)
        {
            var got = recovered.Get(key);
            var (origin, expected) = lastDurable.TryGetValue(key, out var d)
                ? ($"durable write #{d.Index}", d.Value)
                : ("the state before these writes", _base.Get(key));
            if (Bytes.Ordinal.Equals(got, expected))
            {
                continue;
            }

            if (allowedLater.TryGetValue(key, out var later) && later.Exists(v => Bytes.Ordinal.Equals(v, got)))
            {
                continue;
            }

            report.Append("  key ").Append(Bytes.Show(key)).Append(": expected ").Append(Bytes.Show(expected))
                .Append(" (from ").Append(origin).Append(") or a later attempted value, found ").Append(Bytes.Show(got)).AppendLine();
        }

        return report.ToString();
    }

    private bool MatchesSomePrefix(KeyValueModel recovered)
    {
        var unknown = new List<int>();
        for (var i = 0; i < _writes.Count; i++)
        {
            if (_writes[i].Unknown)
            {
                unknown.Add(i);
            }
        }

        // Try each choice of unknown writes applied or skipped.
        for (var mask = 0; mask < 1 << unknown.Count; mask++)
        {
            var skipped = new HashSet<int>();
            for (var b = 0; b < unknown.Count; b++)
            {
                if ((mask & (1 << b)) == 0)
                {
                    skipped.Add(unknown[b]);
                }
            }

            if (MatchesSomePrefix(recovered, skipped))
            {
                return true;
            }
        }

        return false;
    }

    // Walks the prefixes in order, keeping the set of keys where state(prefix) and the recovered state differ.
    private bool MatchesSomePrefix(KeyValueModel recovered, HashSet<int> skipped)
    {
        var state = new KeyValueModel(_base);
        var differing = new HashSet<byte[]>(Bytes.Ordinal);
        var keys = new HashSet<byte[]>(_base.Keys, Bytes.Ordinal);
        keys.UnionWith(recovered.Keys);
        foreach (var key in keys)
        {
            if (!Bytes.Ordinal.Equals(state.Get(key), recovered.Get(key)))
            {
                differing.Add(key);
            }
        }

        for (var p = -1; p < _writes.Count; p++)
        {
            if (p >= 0 && !skipped.Contains(p))
            {
                foreach (var (key, value) in Final(_writes[p].Op))
                {
                    state.Set(key, value, 0);
                    if (Bytes.Ordinal.Equals(value, recovered.Get(key)))
                    {
                        differing.Remove(key);
                    }
                    else
                    {
                        differing.Add(key);
                    }
                }
            }

            if (p >= _durableThrough && differing.Count == 0)
            {
                return true;
            }
        }

        return false;
    }

    // The net effect of a write per key (a later mutation of the same key in a batch wins).
    private static Dictionary<byte[], byte[]?> Final(WriteOp op)
    {
        var result = new Dictionary<byte[], byte[]?>(Bytes.Ordinal);
        foreach (var m in op.Mutations)
        {
            result[m.Key] = m.Value;
        }

        return result;
    }

    private string Describe()
    {
        var text = new StringBuilder();
        text.Append("Writes since the base (durable through #").Append(_durableThrough).AppendLine("):");
        var start = Math.Max(0, _writes.Count - 40);
        if (start > 0)
        {
            text.Append("  ... ").Append(start).AppendLine(" earlier writes");
        }

        for (var i = start; i < _writes.Count; i++)
        {
            var w = _writes[i];
            text.Append("  #").Append(i).Append(w.Unknown ? " (unknown)" : $" seq {w.Seq}")
                .Append(i <= _durableThrough ? " durable: " : ": ").Append(w.Op).AppendLine();
        }

        return text.ToString();
    }

    private readonly record struct Tracked(WriteOp Op, ulong Seq, bool Unknown);
}

/// <summary>A recovered database broke a durability promise.</summary>
public sealed class DurabilityViolationException(string message) : Exception(message);
