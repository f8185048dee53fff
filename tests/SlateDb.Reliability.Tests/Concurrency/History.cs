using System.Collections.Concurrent;
using System.Text;

namespace SlateDb.Reliability.Tests.Concurrency;

/// <summary>A write of one key as seen by the history: its value (null for a delete), when it was invoked and answered, its seq.</summary>
internal sealed record WriteEvent(string Key, string? Value, long Invoked, long Answered, ulong Seq, string Op);

/// <summary>A read of one key: what it returned (null: absent), when, by which reader, and the seq when the read tells it.</summary>
internal sealed record ReadEvent(int Reader, string Key, string? Value, long Invoked, long Answered, ulong? Seq, string Op);

/// <summary>
/// The history of a concurrent run and its checker. Times come from one shared counter, incremented just before each
/// call and just after it returns, so <c>a.Answered &lt; b.Invoked</c> means a really ended before b began.
/// </summary>
/// <remarks>
/// Values are unique per write (each carries its writer and operation number), so a read names the write it saw.
/// Per key, a read is linearizable when the write it returned was invoked before the read answered and was not
/// overwritten before the read began (no write of the key lies entirely between the two); an absent value must come
/// from a delete or the empty start under the same rule. Per reader and key, the seq of what is read never goes down.
/// </remarks>
internal sealed class History
{
    private long _clock;
    private readonly ConcurrentBag<WriteEvent> _writes = [];
    private readonly ConcurrentBag<ReadEvent> _reads = [];

    public long Tick() => Interlocked.Increment(ref _clock);

    public void Wrote(WriteEvent write) => _writes.Add(write);

    public void Read(ReadEvent read) => _reads.Add(read);

    public int WriteCount => _writes.Count;

    public int ReadCount => _reads.Count;

    /// <summary>Every violation found (empty when the history is linearizable per key and monotonic per reader).</summary>
    public List<string> Check()
    {
        var problems = new List<string>();
        var writesByKey = _writes.GroupBy(w => w.Key).ToDictionary(g => g.Key, g => g.OrderBy(w => w.Invoked).ToList(), StringComparer.Ordinal);
        var byValue = _writes.Where(w => w.Value is not null).ToDictionary(w => (w.Key, w.Value!));
        foreach (var read in _reads.OrderBy(r => r.Invoked))
        {
            var writes = writesByKey.GetValueOrDefault(read.Key) ?? [];
            IEnumerable<WriteEvent?> candidates;
            if (read.Value is null)
            {
                candidates = writes.Where(w => w.Value is null).Append(null);   // null: the empty start
            }
            else if (byValue.TryGetValue((read.Key, read.Value), out var source))
            {
                candidates = [source];
                if (read.Seq is { } seq && seq != source.Seq)
                {
                    problems.Add($"{Show(read)} returned the value of {Show(source)} with seq {seq} instead of {source.Seq}");
                }
            }
            else
            {
                problems.Add($"{Show(read)} returned a value no write wrote");
                continue;
            }

            if (!candidates.Any(w => Possible(w, read, writes)))
            {
                problems.Add($"{Show(read)} is not linearizable: {Explain(read, writes)}");
            }
        }

        // Per reader and key, what is read never gets older.
        foreach (var group in _reads.GroupBy(r => (r.Reader, r.Key)))
        {
            ulong last = 0;
            ReadEvent? lastRead = null;
            foreach (var read in group.OrderBy(r => r.Invoked))
            {
                var seq = read.Seq ?? (read.Value is null ? null : byValue.GetValueOrDefault((read.Key, read.Value!))?.Seq);
                if (seq is not { } s)
                {
                    continue;
                }

                if (s < last)
                {
                    problems.Add($"reader {read.Reader} went back in time on {read.Key}: {Show(lastRead!)} then {Show(read)} (seq {last} then {s})");
                }

                last = Math.Max(last, s);
                lastRead = read;
            }
        }

        return problems;
    }

    // The read could have returned what 'write' wrote (null: the empty start).
    private static bool Possible(WriteEvent? write, ReadEvent read, List<WriteEvent> writes)
    {
        if (write is not null && write.Invoked > read.Answered)
        {
            return false;   // written after the read had answered
        }

        var after = write?.Answered ?? 0;
        return !writes.Any(w => w != write && w.Invoked > after && w.Answered < read.Invoked);
    }

    private static string Explain(ReadEvent read, List<WriteEvent> writes)
    {
        var text = new StringBuilder("the writes of the key around it were:");
        foreach (var w in writes.Where(w => w.Answered >= read.Invoked - 200 && w.Invoked <= read.Answered + 50))
        {
            text.Append("\n    ").Append(Show(w));
        }

        return text.ToString();
    }

    private static string Show(ReadEvent r) => $"[{r.Invoked}..{r.Answered}] reader {r.Reader} {r.Op} {r.Key} -> {r.Value ?? "absent"}";

    private static string Show(WriteEvent w) => $"[{w.Invoked}..{w.Answered}] {w.Op} {w.Key} = {w.Value ?? "delete"} (seq {w.Seq})";
}
