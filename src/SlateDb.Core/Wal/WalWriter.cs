using System.Threading.Channels;
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
internal sealed class WalWriter
{
    private readonly Channel<SealedWal> _queue = Channel.CreateUnbounded<SealedWal>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    // The output buffer of a WAL SST is sized from the buffer's estimate up to this; beyond it, it grows as needed.
    private const int MaxExpectedSizeBytes = 256 * 1024 * 1024;

    private readonly IObjectStore _store;
    private readonly DbPaths _paths;
    private readonly EngineServices _services;
    private readonly Action<SealedWal> _onStored;
    private readonly Action<Exception> _onFailure;

    // The encoded WAL SSTs, one at a time: a store reads a PUT's data only until the PUT completes, and PUTs are
    // sequential, so one buffer serves every object (only the upload loop touches it).
    private readonly ByteBuffer _output = new(64 * 1024);

    private ulong _lastDurableWalId;
    private ulong _durableSeq;
    private Exception? _failure;
    private Task _loop = Task.CompletedTask;

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
    {
        _store = store;
        _paths = paths;
        _services = services;
        _onStored = onStored;
        _onFailure = onFailure;
    }

    /// <summary>The highest WAL id stored by this writer (or the fence id before the first store).</summary>
    public ulong LastDurableWalId => Volatile.Read(ref _lastDurableWalId);

    /// <summary>The highest sequence number stored in the WAL.</summary>
    public ulong DurableSeq => Volatile.Read(ref _durableSeq);

    /// <summary>Starts the upload loop.</summary>
    /// <param name="fenceId">The WAL id of this writer's fence: everything up to it is in the store.</param>
    /// <param name="durableSeq">The highest sequence number durable when writing starts (replayed or in L0).</param>
    public void Start(ulong fenceId, ulong durableSeq)
    {
        Volatile.Write(ref _durableSeq, durableSeq);
        Volatile.Write(ref _lastDurableWalId, fenceId);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a sealed buffer; called in WAL-id order.</summary>
    public void Enqueue(SealedWal sealedWal)
    {
        if (Volatile.Read(ref _failure) is { } failure || !_queue.Writer.TryWrite(sealedWal))
        {
            Abandon(sealedWal, Volatile.Read(ref _failure) ?? new DbClosedException($"'{_services.DbPath}' is closed."));
        }
    }

    /// <summary>Stops accepting buffers and completes when every queued one is stored (or failed).</summary>
    public Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    /// <summary>Stops the writer after a failure elsewhere: queued buffers fault with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        Interlocked.CompareExchange(ref _failure, error, null);
        _queue.Writer.TryComplete();
    }

    private async Task RunAsync()
    {
        await foreach (var sealedWal in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (Volatile.Read(ref _failure) is { } failure)
            {
                Abandon(sealedWal, failure);
                continue;
            }

            try
            {
                await StoreAsync(sealedWal).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var error = e is ObjectAlreadyExistsException
                    ? new FencedException($"WAL id {sealedWal.WalId} of '{_services.DbPath}' was created by a newer writer; this writer is fenced.", e)
                    : e;
                // Fail the database first, so whoever sees this buffer's durable task fault finds it failed.
                Interlocked.CompareExchange(ref _failure, error, null);
                _onFailure(error);
                Abandon(sealedWal, error);
            }
        }
    }

    private async Task StoreAsync(SealedWal sealedWal)
    {
        var data = Encode(sealedWal);
        await _store.PutAsync(_paths.WalSstPath(sealedWal.WalId), data, PutMode.Create).ConfigureAwait(false);
        Volatile.Write(ref _durableSeq, sealedWal.MaxSeq);
        Volatile.Write(ref _lastDurableWalId, sealedWal.WalId);
        _services.Metrics.WalFlushed(data.Length);
        Log.WalFlushed(_services.Logger, _services.DbPath, sealedWal.WalId, sealedWal.Rows, data.Length, sealedWal.MaxSeq);
        _onStored(sealedWal);
        sealedWal.Durable.TrySetResult();
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

    private void Abandon(SealedWal sealedWal, Exception cause)
    {
        sealedWal.Staged.Dispose();
        sealedWal.Durable.TrySetException(DurabilityError(cause));
    }

    private Exception DurabilityError(Exception cause)
        => cause is FencedException or DbClosedException
            ? cause
            : new DbClosedException($"'{_services.DbPath}' closed before the write became durable: the WAL writer failed: {cause.Message}", cause);
}
