using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;

namespace SlateDb.Core.Tests.Cdc;

/// <summary>Openers and collectors for the change feed tests.</summary>
internal static class CdcKit
{
    /// <summary>Settings that keep every WAL object (no garbage collection) and never poll on their own.</summary>
    public static Settings KeepWal() => new() { ManifestPollInterval = TimeSpan.FromHours(1), Gc = null };

    public static WalReaderOptions Options(FakeTimeProvider clock, IObjectStore? walStore = null) => new()
    {
        TimeProvider = clock,
        Seed = 3,
        WalObjectStore = walStore,
        PollInterval = TimeSpan.FromSeconds(1),
    };

    /// <summary>Every batch from <paramref name="from"/> to the current end of the WAL.</summary>
    public static async Task<List<ChangeBatch>> ReadToEndAsync(WalReader reader, ChangeCursor from)
    {
        var batches = new List<ChangeBatch>();
        await foreach (var batch in reader.ReadChangesAsync(from, follow: false))
        {
            batches.Add(batch);
        }

        return batches;
    }

    /// <summary>The rows of <paramref name="batches"/> as (seq, kind, key, value) text, in feed order.</summary>
    public static List<string> Rows(IEnumerable<ChangeBatch> batches)
        => [.. batches.SelectMany(b => b.Rows).Select(Describe)];

    public static string Describe(ChangeRow r)
        => $"{r.Seq} {r.Kind} {Convert.ToHexString(r.Key.Span)}={Convert.ToHexString(r.Value.Span)}";

    /// <summary>Applies the rows of <paramref name="batch"/> to <paramref name="copy"/>, one write batch per sequence number.</summary>
    public static async Task ApplyAsync(SlateDb.Db copy, ChangeBatch batch)
    {
        foreach (var group in batch.Rows.GroupBy(r => r.Seq))
        {
            using var write = new WriteBatch();
            foreach (var row in group)
            {
                _ = row.Kind switch
                {
                    ChangeKind.Put => write.Put(row.Key.Span, row.Value.Span),
                    ChangeKind.Delete => write.Delete(row.Key.Span),
                    _ => throw new InvalidOperationException($"The test writes no {row.Kind} rows."),
                };
            }

            await copy.WriteAsync(write, new WriteOptions { AwaitDurable = false });
        }
    }

    /// <summary>Every key and value of <paramref name="db"/> as hex text, in key order.</summary>
    public static async Task<List<string>> ContentsAsync(SlateDb.Db db)
    {
        var contents = new List<string>();
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            contents.Add($"{Convert.ToHexString(kv.Key.Span)}={Convert.ToHexString(kv.Value.Span)}");
        }

        return contents;
    }
}
