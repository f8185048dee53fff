using System.Security.Cryptography;
using System.Text;

namespace SlateDb.Testing.Simulation.Dst;

/// <summary>
/// The record of one simulation run: one line per step naming the actor, its inputs and its model-checked outcome.
/// Lines hold only what the seed decides (never sequence numbers, object ids, timings or how many keys a crash
/// lost), so one seed gives the same lines on every run; <see cref="Hash"/> digests all of them.
/// </summary>
public sealed class DstTrace
{
    private const int Kept = 30;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Queue<string> _recent = new();
    private readonly List<string>? _all;

    /// <param name="keepAll">Keep every line (for comparing two runs line by line), not only the last few.</param>
    public DstTrace(bool keepAll = false) => _all = keepAll ? [] : null;

    /// <summary>How many lines were added.</summary>
    public int Count { get; private set; }

    /// <summary>Every line, when the trace was created with <c>keepAll</c>; otherwise empty.</summary>
    public IReadOnlyList<string> Lines => _all ?? [];

    /// <summary>The last lines added, oldest first (for failure reports).</summary>
    public IEnumerable<string> Recent => _recent;

    public void Add(string line)
    {
        _hash.AppendData(Encoding.UTF8.GetBytes(line));
        _hash.AppendData("\n"u8);
        _all?.Add(line);
        _recent.Enqueue(line.Length > 240 ? line[..240] + "..." : line);
        if (_recent.Count > Kept)
        {
            _recent.Dequeue();
        }

        Count++;
    }

    /// <summary>The SHA-256 of every line so far, in hex.</summary>
    public string Hash => Convert.ToHexString(_hash.GetCurrentHash());
}
