using System.Text;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Transactions;

/// <summary>
/// Random concurrent transactions under <see cref="TransactionIsolation.SerializableSnapshot"/> against a serial-execution
/// oracle: replaying the committed transactions one at a time in commit-seq order, each must have read exactly what
/// the serial state held before it (its gets and its scans), so the committed history is serializable.
/// </summary>
public sealed class SerializabilityTests
{
    private const int Keys = 12;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Committed_serializable_transactions_replay_serially_in_commit_order(int seed)
    {
        await using var db = await OpenAsync(new InMemoryObjectStore(), new Settings { ManifestPollInterval = TimeSpan.FromHours(1), L0SstSizeBytes = 4096 });
        var history = new List<Committed>();
        var historyLock = new Lock();

        async Task WorkAsync(int workerSeed)
        {
            var random = new Random(workerSeed);
            for (var n = 0; n < 80; n++)
            {
                await using var txn = db.BeginTransaction(TransactionIsolation.SerializableSnapshot);
                var reads = new Dictionary<string, string?>();
                string? scanned = null;
                for (var r = random.Next(1, 4); r > 0; r--)
                {
                    var key = Key(random.Next(Keys));
                    var value = await txn.GetAsync(key);
                    reads[key] = value is null ? null : Encoding.UTF8.GetString(value);
                }

                if (random.Next(3) == 0)
                {
                    scanned = await ScanTextAsync(txn.ScanAsync(KeyRange.Prefix("k0")));
                }

                await Task.Yield();
                var writes = new Dictionary<string, string?>();
                for (var w = random.Next(1, 3); w > 0; w--)
                {
                    var key = Key(random.Next(Keys));

                    // The value depends on what was read, as in a read-modify-write.
                    var value = random.Next(6) == 0 ? null : $"{workerSeed}.{n}:{reads.Values.Count(v => v is not null)}";
                    if (value is null)
                    {
                        txn.Delete(key);
                    }
                    else
                    {
                        txn.Put(key, value);
                    }

                    writes[key] = value;
                }

                try
                {
                    var handle = await txn.CommitAsync(NoWait);
                    lock (historyLock)
                    {
                        history.Add(new Committed(handle.Seq, reads, scanned, writes));
                    }
                }
                catch (TransactionConflictException)
                {
                }

                if (n % 20 == 0)
                {
                    await db.FlushAsync(FlushType.MemTable);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() => WorkAsync((seed * 100) + w))));

        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var txn in history.OrderBy(t => t.Seq))
        {
            foreach (var (key, value) in txn.Reads)
            {
                Assert.Equal(state.GetValueOrDefault(key), value);
            }

            if (txn.Scanned is not null)
            {
                Assert.Equal(string.Join(",", state.Where(kv => kv.Key.StartsWith("k0", StringComparison.Ordinal)).Select(kv => $"{kv.Key}={kv.Value}")), txn.Scanned);
            }

            foreach (var (key, value) in txn.Writes)
            {
                if (value is null)
                {
                    state.Remove(key);
                }
                else
                {
                    state[key] = value;
                }
            }
        }

        Assert.Equal(string.Join(",", state.Select(kv => $"{kv.Key}={kv.Value}")), await ScanTextAsync(db.ScanAsync(KeyRange.All)));
        Assert.True(history.Count > 20, $"Only {history.Count} transactions committed.");
    }

    private static string Key(int i) => $"k{i:D2}";

    private static async Task<string> ScanTextAsync(DbIterator scan)
    {
        var parts = new List<string>();
        await foreach (var kv in scan)
        {
            parts.Add($"{Encoding.UTF8.GetString(kv.Key.Span)}={Encoding.UTF8.GetString(kv.Value.Span)}");
        }

        return string.Join(",", parts);
    }

    private sealed record Committed(ulong Seq, Dictionary<string, string?> Reads, string? Scanned, Dictionary<string, string?> Writes);
}
