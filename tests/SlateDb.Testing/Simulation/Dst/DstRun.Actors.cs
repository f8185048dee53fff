using System.Globalization;
using SlateDb.Admin;

namespace SlateDb.Testing.Simulation.Dst;

public sealed partial class DstRun
{
    private const int MaxCheckpoints = 4;

    // ---------- the bank ----------

    private async Task SetUpBankAsync()
    {
        var op = WriteOp.Batch([.. Enumerable.Range(0, Accounts).Select(i => new Mutation(AccountKey(i), Balance(InitialBalance)))]);
        var handle = await Guard.Within(op.ApplyAsync(Writer), "opening the bank accounts");
        Apply(op);
        _oracle.DurableThrough(_oracle.Acknowledged(op, handle));
        _trace.Add($"bank: {Accounts} accounts of {InitialBalance}");
    }

    private static byte[] Balance(long amount) => Bytes.Utf8(amount.ToString(CultureInfo.InvariantCulture));

    private long BalanceOf(int account)
        => long.Parse(System.Text.Encoding.UTF8.GetString(_model.Get(AccountKey(account))!), CultureInfo.InvariantCulture);

    private Task<WriteOp> NextTransferAsync()
    {
        var from = _random.Next(Accounts);
        var to = (from + 1 + _random.Next(Accounts - 1)) % Accounts;
        var amount = Math.Min(BalanceOf(from), _random.Next(1, 300));
        return Task.FromResult(WriteOp.Batch(
            new Mutation(AccountKey(from), Balance(BalanceOf(from) - amount)),
            new Mutation(AccountKey(to), Balance(BalanceOf(to) + amount))));
    }

    private async Task<string> TransferAsync() => await WriteAsync(await NextTransferAsync());

    /// <summary>Every account appears once and the balances sum to the initial total.</summary>
    private static void CheckBank(List<KeyValue> rows, string view)
    {
        long sum = 0;
        var accounts = 0;
        foreach (var row in rows)
        {
            if (row.Key.Span.StartsWith("bank/"u8))
            {
                accounts++;
                sum += long.Parse(System.Text.Encoding.UTF8.GetString(row.Value.Span), CultureInfo.InvariantCulture);
            }
        }

        if (accounts != Accounts || sum != Accounts * InitialBalance)
        {
            throw new ModelMismatchException(
                $"The bank seen through {view} has {accounts} accounts summing to {sum}; expected {Accounts} accounts summing to {Accounts * InitialBalance}.");
        }
    }

    // ---------- the long-lived reader ----------

    private sealed class ReaderView(DbReader reader)
    {
        public DbReader Reader { get; } = reader;

        /// <summary>The highest version of each key this reader returned.</summary>
        public Dictionary<string, int> LastSeen { get; } = new(StringComparer.Ordinal);
    }

    private async Task<string> ReaderAsync()
    {
        if (_reader is null)
        {
            var session = NewSession();
            var reader = await Guard.Within(
                DbReader.OpenAsync(DbPath, session.Main, new DbReaderOptions
                {
                    WalObjectStore = session.Wal,
                    TimeProvider = _time,
                    Seed = NextSeed(),
                    Settings = _settings,
                    CheckpointLifetime = TimeSpan.FromHours(1),
                }),
                "opening the reader");
            _reader = new ReaderView(reader);
        }

        if (_random.Next(2) == 0)
        {
            // After a WAL flush and a refresh the reader sees exactly what the writer acknowledged.
            await Guard.Within(Writer.FlushAsync(FlushType.Wal), "FlushAsync before the reader's refresh");
            _oracle.AllDurable();
            await Guard.Within(_reader.Reader.RefreshAsync(), "DbReader.RefreshAsync");
            var rows = await ReadAllAsync(_reader.Reader.ScanAsync(KeyRange.All), "the reader's full scan");
            CheckRows("the reader's full scan after a flush and refresh", rows, _model.Range(KeyRange.All).ToList());
            CheckBank(rows, "the reader");
            CheckVersions(_reader, rows);
            return $"synced, {rows.Count} rows equal the model";
        }

        // Without a flush the reader sees some durable prefix: the bank adds up and no key goes back in time. Without
        // a refresh it reads the manifest it already has, whose SSTs its checkpoint keeps from the garbage collector.
        var refresh = _random.Next(2) == 0;
        if (refresh)
        {
            await Guard.Within(_reader.Reader.RefreshAsync(), "DbReader.RefreshAsync");
        }

        var seen = await ReadAllAsync(_reader.Reader.ScanAsync(KeyRange.All), "the reader's full scan");
        CheckRows("the reader's scan (order only)", seen, seen.Select(r => KeyValuePair.Create(r.Key.ToArray(), new KeyValueModel.Entry(r.Value.ToArray(), 0))).ToList());
        CheckBank(seen, "the reader");
        CheckVersions(_reader, seen);
        return $"{(refresh ? "refreshed" : "not refreshed")}, bank and versions consistent";
    }

    /// <summary>No key's version goes backwards in this view, and no version is newer than the model's.</summary>
    private void CheckVersions(ReaderView view, List<KeyValue> rows)
    {
        foreach (var row in rows)
        {
            var text = System.Text.Encoding.UTF8.GetString(row.Value.Span);
            var at = text.IndexOf("@v", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var name = text[..at];
            var version = int.Parse(text.AsSpan(at + 2, text.IndexOf(':', at) - at - 2), CultureInfo.InvariantCulture);
            if (version > _versions.GetValueOrDefault(name))
            {
                throw new ModelMismatchException($"The reader returned {name} version {version}; the newest write of it is version {_versions.GetValueOrDefault(name)}.");
            }

            if (view.LastSeen.TryGetValue(name, out var last) && version < last)
            {
                throw new ModelMismatchException($"The reader returned {name} version {version} after it had returned version {last}.");
            }

            view.LastSeen[name] = version;
        }
    }

    // ---------- checkpoints and clones ----------

    private sealed record SavedState(Guid Id, string Path, KeyValueModel Contents);

    private async Task<string> CheckpointAsync()
    {
        var result = await Guard.Within(Writer.CreateCheckpointAsync(CheckpointScope.All), "CreateCheckpointAsync(All)");
        _oracle.AllDurable();
        var saved = new SavedState(result.Id, DbPath, new KeyValueModel(_model));
        _checkpoints.Add(saved);
        await AuditCheckpointAsync(saved);
        var text = $"#{_checkpoints.Count - 1} holds {saved.Contents.Count} keys";
        if (_checkpoints.Count > MaxCheckpoints)
        {
            var oldest = _checkpoints[0];
            _checkpoints.RemoveAt(0);
            var admin = NewAdmin();
            if (!await Guard.Within(admin.DeleteCheckpointAsync(oldest.Id), "DeleteCheckpointAsync"))
            {
                throw new ModelMismatchException($"Deleting checkpoint {oldest.Id} found no such checkpoint.");
            }

            text += ", deleted the oldest";
        }

        return text;
    }

    private async Task<string> AuditSomeCheckpointAsync()
    {
        if (_checkpoints.Count == 0)
        {
            return "none yet";
        }

        var index = _random.Next(_checkpoints.Count);
        await AuditCheckpointAsync(_checkpoints[index]);
        return $"#{index} equals its model";
    }

    /// <summary>A checkpoint opened as a reader holds exactly the model of its time, and the bank adds up.</summary>
    private async Task AuditCheckpointAsync(SavedState saved)
    {
        var session = NewSession();
        var reader = await Guard.Within(
            DbReader.OpenAsync(saved.Path, session.Main, new DbReaderOptions { TimeProvider = _time, Seed = NextSeed(), CheckpointId = saved.Id, Settings = _settings, WalObjectStore = session.Wal }),
            $"opening checkpoint {saved.Id} as a reader");
        await using (reader)
        {
            var rows = await ReadAllAsync(reader.ScanAsync(KeyRange.All), "the checkpoint's full scan");
            CheckRows($"the scan of checkpoint {saved.Id}", rows, saved.Contents.Range(KeyRange.All).ToList());
            CheckBank(rows, $"checkpoint {saved.Id}");
        }
    }

    private async Task<string> CloneAsync()
    {
        if (_clones.Count > 0 && _random.Next(2) == 0)
        {
            var index = _random.Next(_clones.Count);
            await AuditCloneAsync(_clones[index]);
            return $"clone #{index} still equals its checkpoint";
        }

        if (_checkpoints.Count == 0)
        {
            return "no checkpoint to clone";
        }

        var source = _checkpoints[_random.Next(_checkpoints.Count)];
        var path = $"dst-clone-{_clones.Count}";
        var session = NewSession();
        await Guard.Within(
            DbAdmin.CreateCloneAsync(path, DbPath, session.Main, source.Id, session.Wal, session.Wal, new CloneOptions { TimeProvider = _time, Seed = NextSeed() }, default),
            $"cloning checkpoint {source.Id}");
        var clone = new SavedState(source.Id, path, source.Contents);
        _clones.Add(clone);
        await AuditCloneAsync(clone);
        return $"clone #{_clones.Count - 1} of a checkpoint equals it ({source.Contents.Count} keys)";
    }

    /// <summary>Opens the clone as a writer: its contents equal the model of the checkpoint it came from.</summary>
    private async Task AuditCloneAsync(SavedState clone)
    {
        var db = await Guard.Within(
            NewSession().Builder(clone.Path).WithSettings(_settings).WithTimeProvider(_time).WithSeed(NextSeed()).BuildAsync(),
            $"opening clone {clone.Path}");
        try
        {
            var rows = await ReadAllAsync(db.ScanAsync(KeyRange.All), "the clone's full scan");
            CheckRows($"the scan of clone {clone.Path}", rows, clone.Contents.Range(KeyRange.All).ToList());
            CheckBank(rows, $"clone {clone.Path}");
        }
        finally
        {
            await Guard.Within(db.CloseAsync(), $"closing clone {clone.Path}");
        }
    }

    // ---------- reopen, crash, fence ----------

    private async Task<string> ReopenAsync()
    {
        await Guard.Within(Writer.CloseAsync(), "CloseAsync");
        _oracle.AllDurable();
        await OpenWriterAsync();
        var recovered = await Guard.Within(KeyValueModel.ReadAllAsync(Writer), "the full scan after reopening");
        if (!_model.SameContents(recovered))
        {
            throw new DurabilityViolationException(
                $"After a clean close and reopen the contents differ from the model:\n{_model.DescribeDifferences(recovered)}");
        }

        _oracle.Rebase(_model);
        return "contents equal the model";
    }

    /// <summary>A process crash: every in-memory object is abandoned without close, and their store calls fail from now on.</summary>
    private async Task<string> CrashAsync()
    {
        CrashEverything();
        if (_random.Next(4) == 0)
        {
            // The process dies again while it opens (replays the WAL, writes its fence, updates the manifest).
            var after = 1 + _random.Next(8);
            _crashAfter = (after, _random.Next(2) == 0);
            try
            {
                await OpenWriterAsync();
            }
            catch (Exception ex) when (ex is not TimeoutException && _session.IsCrashed)
            {
                // The crash struck the open.
            }
            finally
            {
                _crashAfter = null;
            }

            CrashEverything();
            await RecoverAsync("two crashes, the second while opening");
            return $"crashed again {after} calls into the reopen; recovered every durable write";
        }

        await RecoverAsync("the crash");
        return "recovered every durable write";
    }

    private void CrashEverything()
    {
        foreach (var session in _sessions)
        {
            session.Crash();
        }

        _crashes++;
        _toxicStrikes += _sessions.Sum(s => s.ToxicStrikes);
        _sessions.Clear();
        _db = null;
        _reader = null;
        _compactor = null;
    }

    /// <summary>A durable write during which the writer's store dies after a few more calls (the write may or may not land).</summary>
    private async Task<string> CrashDuringWriteAsync()
    {
        var op = _random.Next(2) == 0 ? NextPut() : await NextTransferAsync();
        foreach (var m in op.Mutations.Where(m => m.IsDelete))
        {
            CountDelete(m.Key);
        }

        _session.CrashAtCall(_session.CallCount + 1 + _random.Next(3), afterApplying: _random.Next(2) == 0);
        WriteHandle? handle = null;
        try
        {
            handle = await Guard.Within(op.ApplyAsync(Writer), $"the write {op} during a crash");
        }
        catch (Exception ex) when (ex is not TimeoutException && _session.IsCrashed)
        {
            // The crash struck the write: its outcome is unknown.
        }

        // The run's model takes the write either way; recovery re-applies it when the crash lost it.
        Apply(op);
        if (handle is not null)
        {
            _oracle.DurableThrough(_oracle.Acknowledged(op, handle));
        }
        else
        {
            _oracle.Unknown(op);
        }

        CrashEverything();
        await RecoverAsync("the crash during a write");
        return $"{op}; recovered every durable write";
    }

    /// <summary>A second writer opens: the first one's next durable write must fail with <see cref="FencedException"/>.</summary>
    private async Task<string> FenceAsync()
    {
        var old = Writer;
        var oldSession = _session;
        _db = null;
        await OpenWriterAsync();
        _fences++;
        await CheckRecoveredAsync("the fence");

        var zombieKey = Bytes.Utf8("zombie");
        var ex = await RecordAsync(() => Guard.Within(old.PutAsync(zombieKey, Bytes.Utf8("must not land")), "the replaced writer's durable put"));
        if (ex is not FencedException)
        {
            throw new ModelMismatchException($"The replaced writer's durable put threw {ex?.GetType().Name ?? "nothing"}; expected FencedException: {ex}");
        }

        var disposeError = await RecordAsync(() => Guard.Within(old.DisposeAsync(), "disposing the replaced writer"));
        if (disposeError is not (null or FencedException or DbClosedException))
        {
            throw new ModelMismatchException($"Disposing the replaced writer threw {disposeError}");
        }

        oldSession.Crash();
        if (await Guard.Within(Writer.GetAsync(zombieKey), "reading the zombie key") is not null)
        {
            throw new DurabilityViolationException("The replaced writer's put after the fence is visible to the new writer.");
        }

        await RepairAsync();
        return "replaced writer fenced; the new one holds every durable write";
    }

    private static async Task<Exception?> RecordAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private async Task RecoverAsync(string what)
    {
        await OpenWriterAsync();
        await CheckRecoveredAsync(what);
        await RepairAsync();
    }

    private async Task CheckRecoveredAsync(string what)
    {
        var recovered = await Guard.Within(KeyValueModel.ReadAllAsync(Writer), $"the full scan after {what}");
        _oracle.AssertRecovered(recovered, $"Seed {_seed}, step {_step}, after {what}");
        _recovered = recovered;
    }

    private KeyValueModel? _recovered;

    /// <summary>
    /// Re-applies what the crash lost (only writes never acknowledged durable, as the oracle just checked), so the
    /// database equals the run's model again and the run continues the same whatever the background timing lost.
    /// </summary>
    private async Task RepairAsync()
    {
        var recovered = _recovered ?? throw new InvalidOperationException("Nothing recovered to repair.");
        _recovered = null;
        using var batch = new WriteBatch();
        var keys = new SortedSet<byte[]>(_model.Keys, Bytes.Ordinal);
        keys.UnionWith(recovered.Keys);
        foreach (var key in keys)
        {
            var want = _model.Get(key);
            if (Bytes.Ordinal.Equals(want, recovered.Get(key)))
            {
                continue;
            }

            if (want is null)
            {
                batch.Delete(key);
            }
            else
            {
                batch.Put(key, want);
            }
        }

        if (batch.Count > 0)
        {
            await Guard.Within(Writer.WriteAsync(batch), "re-applying the writes the crash lost");
        }

        _oracle = new DurabilityOracle(_model);
    }
}
