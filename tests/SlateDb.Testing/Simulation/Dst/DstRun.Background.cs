namespace SlateDb.Testing.Simulation.Dst;

public sealed partial class DstRun
{
    /// <summary>
    /// A scan that stays open while the memtable is flushed, the compactor runs and the writer's garbage collector
    /// runs (with its small minimum age): it still returns exactly the rows of the moment it started.
    /// </summary>
    private async Task<string> LongScanAsync()
    {
        var expected = _model.Range(KeyRange.All).ToList();
        var rows = new List<KeyValue>();
        var before = _random.Next(0, 6);
        await using (var iterator = Writer.ScanAsync(KeyRange.All))
        {
            while (rows.Count < before && await Guard.Within(iterator.NextAsync(), "the long scan") is { } kv)
            {
                rows.Add(new KeyValue(kv.Key.ToArray(), kv.Value.ToArray(), kv.Seq));
            }

            // Overwrite some keys so the compactor has versions to drop, then flush, compact and collect.
            for (var i = _random.Next(1, 6); i > 0; i--)
            {
                await WriteAsync(NextPut());
            }

            await Guard.Within(Writer.FlushAsync(FlushType.MemTable), "the memtable flush during the long scan");
            _oracle.AllDurable();
            await CompactAsync();
            for (var i = 0; i < 3; i++)
            {
                _time.Advance(TimeSpan.FromSeconds(2));
            }

            while (await Guard.Within(iterator.NextAsync(), "the long scan") is { } kv)
            {
                rows.Add(new KeyValue(kv.Key.ToArray(), kv.Value.ToArray(), kv.Seq));
            }
        }

        CheckRows("a scan left open across a flush, compaction and garbage collection", rows, expected);
        CheckBank(rows, "the long scan");
        return $"{rows.Count} rows as at its start ({before} read before the background work)";
    }

    /// <summary>
    /// The process dies a few store calls into a memtable flush, a compaction, a checkpoint or a garbage collection;
    /// the reopened writer holds every durable write and the run goes on (a checkpoint made this way is not kept).
    /// </summary>
    private async Task<string> CrashDuringBackgroundWorkAsync()
    {
        var kind = _random.Next(4);
        var after = 1 + _random.Next(6);
        var afterApplying = _random.Next(2) == 0;
        string what;
        Func<Task> work;
        switch (kind)
        {
            case 0:
                what = "a memtable flush";
                work = () => Writer.FlushAsync(FlushType.MemTable);
                break;
            case 1:
                what = "a compaction";
                work = CompactAsync;
                break;
            case 2:
                what = "a checkpoint";
                work = () => Writer.CreateCheckpointAsync(CheckpointScope.All);
                break;
            default:
                what = "a garbage collection";
                work = GcAsync;
                break;
        }

        // Every session made from here on (the compactor's, the admin's) dies at the same point as the writer's.
        foreach (var session in _sessions)
        {
            session.CrashAtCall(session.CallCount + after, afterApplying);
        }

        _crashAfter = (after, afterApplying);
        try
        {
            await Guard.Within(work(), what);
        }
        catch (Exception ex) when (ex is not TimeoutException && _sessions.Exists(s => s.IsCrashed))
        {
            // The crash struck the work: it may or may not have finished.
        }
        finally
        {
            _crashAfter = null;
        }

        CrashEverything();
        await RecoverAsync($"the crash during {what}");
        return $"{what}, {after} calls in{(afterApplying ? " (the last one applied)" : "")}; recovered every durable write";
    }
}
