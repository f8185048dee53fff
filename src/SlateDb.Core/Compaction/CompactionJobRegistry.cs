using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Compaction;

// The compactor state object <db>/compactions/{id:D20}.compactions lists the jobs that may write SSTs not yet in the
// manifest, so garbage collection spares them (every output id is at or after its job's id).
//
// Invariants
//  1. A job is recorded before it writes its first output, and removed only after its outputs are published (or it
//     gave up): an unpublished output is always at or after some recorded job id, or its job's compactor was fenced.
//  2. Every change is an epoch-checked CAS update (create-if-absent of id + 1, re-applied on conflict): a stored
//     epoch above ours is FencedException, nothing written.
//  3. A compactor's start writes its epoch and clears the jobs of older compactors (they are fenced from the manifest,
//     so what they wrote can never be published).

/// <summary>This compactor's view of the compactor state object: its epoch and its running jobs.</summary>
internal sealed class CompactionJobRegistry
{
    private readonly SequencedObjectStore<CompactionsState> _store;
    private readonly string _dbPath;
    private Versioned<CompactionsState>? _current;

    /// <param name="store">The main store (with retries).</param>
    /// <param name="paths">The database's object names.</param>
    /// <param name="epoch">The compactor epoch claimed in the manifest.</param>
    /// <param name="time">Bounds update retries.</param>
    public CompactionJobRegistry(IObjectStore store, DbPaths paths, ulong epoch, TimeProvider time)
    {
        _store = new SequencedObjectStore<CompactionsState>(
            store, paths.CompactionsPrefix, DbPaths.CompactionsExtension, CompactionsCodec.Instance, null, $"the compactor state of '{paths.Root}'", time);
        _dbPath = paths.Root;
        Epoch = epoch;
    }

    /// <summary>The compactor epoch this registry writes.</summary>
    public ulong Epoch { get; }

    /// <summary>The latest state this compactor read or wrote (null before <see cref="ClaimAsync"/>).</summary>
    public CompactionsState? Current => Volatile.Read(ref _current)?.Value;

    /// <summary>Reads the state (creating it if absent), writes this compactor's epoch and clears older compactors' jobs.</summary>
    /// <exception cref="FencedException">A newer compactor already wrote the state.</exception>
    public Task ClaimAsync(CancellationToken cancellationToken)
        => UpdateAsync(
            s =>
            {
                if (s.CompactorEpoch == Epoch && s.Jobs.Count == 0)
                {
                    return null;
                }

                s.CompactorEpoch = Epoch;
                s.Jobs.Clear();
                return s;
            },
            create: true,
            cancellationToken);

    /// <summary>Records a job before it writes anything.</summary>
    public Task AddAsync(Ulid jobId, CompactionSpec spec, long startMs, CancellationToken cancellationToken)
    {
        var job = new CompactionJob { Id = SstId.FromUlid(jobId), OutputRun = spec.OutputRunId, StartTimeMs = startMs };
        job.InputL0.AddRange(spec.L0.Select(h => h.Id));
        job.InputRuns.AddRange(spec.Runs.Select(r => r.Id));
        return UpdateAsync(
            s =>
            {
                CheckEpoch(s);
                if (s.Jobs.Any(j => j.Id.ToUlid() == jobId))
                {
                    return null;
                }

                s.Jobs.Add(job);
                return s;
            },
            create: false,
            cancellationToken);
    }

    /// <summary>Removes a job (after its outputs are published, or when it gave up).</summary>
    public Task RemoveAsync(Ulid jobId, CancellationToken cancellationToken)
        => UpdateAsync(
            s =>
            {
                CheckEpoch(s);
                var index = -1;
                for (var i = 0; i < s.Jobs.Count; i++)
                {
                    if (s.Jobs[i].Id.ToUlid() == jobId)
                    {
                        index = i;
                    }
                }

                if (index < 0)
                {
                    return null;
                }

                s.Jobs.RemoveAt(index);
                return s;
            },
            create: false,
            cancellationToken);

    private async Task UpdateAsync(Func<CompactionsState, CompactionsState?> mutate, bool create, CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _current);
        if (known is null && create)
        {
            known = await _store.CreateOrReadLatestAsync(new CompactionsState { CompactorEpoch = Epoch }, cancellationToken).ConfigureAwait(false);
        }

        var written = await _store.UpdateAsync(
            known,
            version =>
            {
                if (version.Value.CompactorEpoch > Epoch)
                {
                    throw Fenced(version.Value.CompactorEpoch);
                }

                return mutate(version.Value);
            },
            cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _current, written);
    }

    private void CheckEpoch(CompactionsState state)
    {
        if (state.CompactorEpoch != Epoch)
        {
            throw state.CompactorEpoch > Epoch
                ? Fenced(state.CompactorEpoch)
                : new SlateDbException(
                    SlateDbErrorKind.Internal,
                    $"The compactor state of '{_dbPath}' records compactor epoch {state.CompactorEpoch}, below the epoch {Epoch} this compactor claimed.");
        }
    }

    private FencedException Fenced(ulong stored)
        => new($"A newer compactor (epoch {stored}) owns '{_dbPath}'; this one holds epoch {Epoch} (seen in its compactor state).");
}
