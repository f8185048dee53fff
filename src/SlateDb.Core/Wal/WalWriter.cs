using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.ObjectStore;

namespace SlateDb.Wal;

// The WAL writer stores sealed WAL buffers, one object per buffer, strictly in WAL-id order.
//
// Invariants
//  1. Objects are created with PutMode.Create at consecutive ids; an existing object at our id means a newer writer
//     fenced this one: the writer fails with FencedException and stores nothing more.
//  2. A buffer's durable task completes only after its object is stored, and after every lower id was stored
//     (one upload at a time, in queue order), so WriteHandle.Durable completes in sequence order.
//  3. After the first failure every queued and future buffer's durable task faults with the same cause, and only
//     after onFailure has run: a caller that sees a durable task fault finds the database already failed.
//  4. Every sealed buffer's staging rows are disposed exactly once (returned to their pool): after encoding, or when
//     the buffer is abandoned. Encoding runs here, off the write loop; an encoding error fails the writer like a
//     failed PUT. Each SST is encoded into one reused output buffer, overwritten only after the previous PUT
//     completed (the object store contract: data is read only until the PUT's task completes).
//
// Outline
//   write loop (under its lock) → Enqueue(sealed) → this loop: encode the staged rows into an SST
//   → PUT Create wal/<id>.sst
//   → publish durable watermarks → complete the buffer's durable task → report progress (backpressure)

/// <summary>Stores sealed WAL buffers in the WAL object store, in id order.</summary>
internal sealed class WalWriter : BackgroundWorker<SealedWal>
{
    // The output buffer of a WAL SST is sized from the buffer's estimate up to this; beyond it, it grows as needed.
    private const int MaxExpectedSizeBytes = 256 * 1024 * 1024;

    private readonly IObjectStore _store;
    private readonly DbPaths _paths;
    private readonly EngineServices _services;
    private readonly Action<SealedWal> _onStored;

    // The encoded WAL SSTs, one at a time: a store reads a PUT's data only until the PUT completes, and PUTs are
    // sequential, so one buffer serves every object (only the upload loop touches it).
    private readonly ByteBuffer _output = new(64 * 1024);

    // (WAL id, highest seq in it) of the objects stored since the last L0 publication, oldest first (rule D).
    private readonly Lock _storedLock = new();
    private readonly Queue<(ulong WalId, ulong MaxSeq)> _stored = new();
    private ulong _lastDurableWalId;
    private ulong _durableSeq;

    /// <param name="store">The WAL object store (with retries).</param>
    /// <param name="paths">Object names of the database.</param>
    /// <param name="services">Logging, metrics and the database path.</param>
    /// <param name="onStored">Called after an object is stored, before its durable task completes.</param>
    /// <param name="onFailure">Called once with the first failure (a <see cref="FencedException"/> when fenced).</param>
    public WalWriter(
        IObjectStore store,
        DbPaths paths,
        EngineServices services,
        Action<SealedWal> onStored,
        Action<Exception> onFailure)
        : base("the WAL writer", services.DbPath, onFailure)
    {
        _store = store;
        _paths = paths;
        _services = services;
        _onStored = onStored;
    }

    /// <summary>The highest WAL id stored by this writer (or the fence id before the first store).</summary>
    public ulong LastDurableWalId => Volatile.Read(ref _lastDurableWalId);

    /// <summary>The highest sequence number stored in the WAL.</summary>
    public ulong DurableSeq => Volatile.Read(ref _durableSeq);

    /// <summary>Starts the upload loop.</summary>
    /// <param name="fenceId">The WAL id of this writer's fence: everything up to it is in the store.</param>
    /// <param name="durableSeq">The highest sequence number durable when writing starts (replayed or in L0); the
    /// fence holds no rows, so it counts as holding the rows of the objects before it.</param>
    public void Start(ulong fenceId, ulong durableSeq)
    {
        Volatile.Write(ref _durableSeq, durableSeq);
        Volatile.Write(ref _lastDurableWalId, fenceId);
        lock (_storedLock)
        {
            _stored.Enqueue((fenceId, durableSeq));
        }

        Start();
    }

    /// <summary>Queues a sealed buffer; called in WAL-id order.</summary>
    public new void Enqueue(SealedWal sealedWal) => base.Enqueue(sealedWal);

    /// <summary>
    /// The highest stored WAL id every row of which, and of every lower id, has a sequence number at or below
    /// <paramref name="flushedSeq"/> (so, once rows through that seq are in L0, replay may start after it); 0 when
    /// none is known. WAL ids follow sequence order, so the objects stored form a prefix that qualifies.
    /// </summary>
    public ulong FlushedThrough(ulong flushedSeq)
    {
        lock (_storedLock)
        {
            ulong through = 0;
            while (_stored.TryPeek(out var head) && head.MaxSeq <= flushedSeq)
            {
                through = head.WalId;

                // Keep the newest entry: a later fence or empty seal still inherits it.
                if (_stored.Count == 1)
                {
                    break;
                }

                _stored.Dequeue();
            }

            return through;
        }
    }

    /// <inheritdoc />
    protected override async Task ProcessAsync(SealedWal sealedWal)
    {
        var data = Encode(sealedWal);
        await _store.PutAsync(_paths.WalSstPath(sealedWal.WalId), data, PutMode.Create).ConfigureAwait(false);
        lock (_storedLock)
        {
            _stored.Enqueue((sealedWal.WalId, sealedWal.MaxSeq));
        }

        Volatile.Write(ref _durableSeq, sealedWal.MaxSeq);
        Volatile.Write(ref _lastDurableWalId, sealedWal.WalId);
        _services.Metrics.WalFlushed(data.Length);
        Log.WalFlushed(_services.Logger, _services.DbPath, sealedWal.WalId, sealedWal.Rows, data.Length, sealedWal.MaxSeq);
        _onStored(sealedWal);
        sealedWal.Durable.TrySetResult();
    }

    /// <inheritdoc />
    protected override Exception MapFailure(SealedWal job, Exception error)
        => error is ObjectAlreadyExistsException
            ? new FencedException($"WAL id {job.WalId} of '{_services.DbPath}' was created by a newer writer; this writer is fenced.", error)
            : error;

    /// <inheritdoc />
    protected override void Abandon(SealedWal sealedWal, Exception cause)
    {
        sealedWal.Staged.Dispose();
        sealedWal.Durable.TrySetException(DurabilityError(cause));
    }

    // Encodes the staged rows into a WAL SST in the reused output buffer and returns the staging buffer to its pool.
    private ReadOnlyMemory<byte> Encode(SealedWal sealedWal)
    {
        using var staged = sealedWal.Staged;
        var expected = (int)Math.Min(sealedWal.Bytes + (sealedWal.Bytes / 64), MaxExpectedSizeBytes);
        using var writer = new SstWriter(sealedWal.Options with { ExpectedSizeBytes = expected }, _output);
        staged.WriteTo(writer);
        return writer.Finish().Data;
    }

    private Exception DurabilityError(Exception cause)
        => cause is FencedException or DbClosedException
            ? cause
            : new DbClosedException($"'{_services.DbPath}' closed before the write became durable: the WAL writer failed: {cause.Message}", cause);
}
