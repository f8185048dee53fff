using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

/// <summary>
/// Scan read-ahead (<see cref="BlockReadAhead"/> with a <see cref="ReadAheadBudget"/>): how it ramps, what it caches,
/// that it stays within its budget, and what happens to its requests on failure, cancellation and dispose. GETs go
/// through <see cref="GatedObjectStore"/>, which holds each one until the test releases it, so every step is
/// deterministic: the iterator runs on the test's thread whenever a release completes what it waits for.
/// </summary>
public class BlockReadAheadTests
{
    private const string Path = "compacted/01READAHEAD.sst";

    private static async Task<(GatedObjectStore Store, SstReader Reader)> OpenAsync(int rows = 3000, BlockCache? cache = null)
    {
        var sst = Build(Enumerable.Range(0, rows).Select(i => Put(NumberKey(i), 1, new string('v', 100))), new SstWriterOptions { BlockSize = 4096 });
        var inner = new InMemoryObjectStore();
        await inner.PutAsync(Path, sst.Data, PutMode.Create);
        var store = new GatedObjectStore(inner) { AutoRelease = true };
        var reader = await SstReader.OpenAsync(store, Path, sst.Data.Length, cache);
        store.Reset();
        return (store, reader);
    }

    // A key i such that keys i to i + 3 are in one block.
    private static int KeyInsideABlock(SstReader reader, int from)
    {
        var i = from;
        while (reader.Index.FindFirstBlock(NumberKey(i)) != reader.Index.FindFirstBlock(NumberKey(i + 3)))
        {
            i++;
        }

        return i;
    }

    private static SstReadOptions ScanOptions(long bytes) => new() { CacheBlocks = false, CacheStartBlocks = true, ReadAhead = ReadAheadBudget.ForScan(bytes) };

    [Fact]
    public async Task A_scan_starts_with_one_block_and_doubles_its_requests()
    {
        var (store, reader) = await OpenAsync();
        var rows = await ReadAllAsync(reader, options: ScanOptions(1 << 20));

        Assert.Equal(3000, rows.Count);
        var blocks = store.Requests.Select(r => Blocks(reader, r)).ToList();
        Assert.Equal(reader.BlockCount, blocks.Sum());
        Assert.Equal([1, 2, 4, 8, 16, 32], blocks.Take(6));
        Assert.True(blocks.Count <= 8, $"{blocks.Count} GETs for {reader.BlockCount} blocks");
    }

    [Fact]
    public async Task A_short_scan_reads_one_block_and_caches_only_that_one()
    {
        var cache = new BlockCache(64 << 20);
        var (store, reader) = await OpenAsync(cache: cache);
        var key = KeyInsideABlock(reader, 1500);
        var first = reader.Index.FindFirstBlock(NumberKey(key));
        var rows = await ReadAllAsync(reader, KeyRange.Between(NumberKey(key), NumberKey(key + 2)), ScanOptions(1 << 20));

        Assert.Equal(2, rows.Count);
        Assert.Single(store.Requests);
        Assert.True(reader.IsCached(first));
        Assert.Equal(1, cache.Count);

        // The same scan again is served by the cache; a full scan caches its start block and nothing it read ahead.
        store.Requests.Clear();
        Assert.Equal(2, (await ReadAllAsync(reader, KeyRange.Between(NumberKey(key), NumberKey(key + 2)), ScanOptions(1 << 20))).Count);
        Assert.Empty(store.Requests);
        Assert.Equal(3000, (await ReadAllAsync(reader, options: ScanOptions(1 << 20))).Count);
        Assert.Equal(2, cache.Count);
        Assert.True(reader.IsCached(0));
        Assert.DoesNotContain(store.Requests, r => r!.Value.Offset <= reader.Index.BlockOffset(first) && r.Value.End > reader.Index.BlockOffset(first));
    }

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(64 * 1024)]
    [InlineData(256 * 1024)]
    public async Task Requests_in_flight_stay_within_the_budget(int budgetBytes)
    {
        // On a thread-pool thread: a released GET then runs the reader on inline continuations, on this thread.
        await Task.Run(async () =>
        {
            var (store, reader) = await OpenAsync();
            store.AutoRelease = false;
            var options = ScanOptions(budgetBytes);
            var budget = options.ReadAhead!;
            var iterator = reader.CreateIterator(KeyRange.All, options);
            var maxBlock = Enumerable.Range(0, reader.BlockCount).Max(reader.Index.BlockLength);
            var rows = 0;
            while (true)
            {
                var move = iterator.MoveNextAsync();
                while (!move.IsCompleted)
                {
                    Assert.InRange(store.InFlightBytes, 0, budgetBytes + maxBlock);
                    Assert.InRange(store.InFlight, 0, ReadAheadBudget.MaxScanRequests + 1);
                    Assert.InRange(budget.BytesInUse, 0, budgetBytes + maxBlock);
                    store.ReleaseOldest();
                }

                if (!await move)
                {
                    break;
                }

                Assert.True(iterator.Current.Key.Span.SequenceEqual(NumberKey(rows++)));
            }

            await iterator.DisposeAsync();
            Assert.Equal(3000, rows);
            Assert.True(store.MaxInFlight >= 3, $"at most {store.MaxInFlight} GETs were in flight at once");
            Assert.True(store.MaxInFlightBytes > budgetBytes / 2, $"at most {store.MaxInFlightBytes} bytes were in flight");
            Assert.Equal((0L, 0), (budget.BytesInUse, budget.RequestsInUse));
        });
    }

    [Fact]
    public async Task Disposing_mid_read_ahead_cancels_the_requests_and_observes_their_failures()
    {
        // On a thread-pool thread: a released GET then runs the reader on inline continuations, on this thread.
        await Task.Run(async () =>
        {
            var (store, reader) = await OpenAsync(rows: 20_000);
            store.AutoRelease = false;
            var marker = $"failed after dispose {Guid.NewGuid()}";
            var unobserved = new List<Exception>();
            EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
            {
                if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message.Contains(marker, StringComparison.Ordinal)))
                {
                    lock (unobserved)
                    {
                        unobserved.Add(e.Exception);
                    }
                }
            };
            TaskScheduler.UnobservedTaskException += handler;
            try
            {
                var options = ScanOptions(1 << 20);
                await ReadUntilRequestsQueuedAsync(store, reader, options, queued: 3);
                var pending = store.Pending;
                Assert.True(pending.Count >= 3);
                Assert.All(pending, p => Assert.True(p.Token.IsCancellationRequested, "a dropped request's token is cancelled"));
                Assert.Equal((0L, 0), (options.ReadAhead!.BytesInUse, options.ReadAhead.RequestsInUse));

                store.FailAll(new ObjectStoreException(Path, store.Uri, marker, isTransient: false));
                for (var i = 0; i < 3; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }

                Assert.Empty(unobserved);
            }
            finally
            {
                TaskScheduler.UnobservedTaskException -= handler;
            }
        });
    }

    [Fact]
    public async Task A_cancelled_read_throws_and_the_scan_can_still_be_disposed_cleanly()
    {
        // On a thread-pool thread: a released GET then runs the reader on inline continuations, on this thread.
        await Task.Run(async () =>
        {
            var (store, reader) = await OpenAsync(rows: 20_000);
            store.AutoRelease = false;
            var options = ScanOptions(1 << 20);
            var iterator = reader.CreateIterator(KeyRange.All, options);
            using var cancel = new CancellationTokenSource();
            var rows = 0;
            ValueTask<bool> move;
            while (true)
            {
                move = iterator.MoveNextAsync(cancel.Token);
                while (!move.IsCompleted && store.Pending.Count < 3)
                {
                    store.ReleaseOldest();
                }

                if (!move.IsCompleted)
                {
                    break;
                }

                Assert.True(await move);
                rows++;
            }

            await cancel.CancelAsync();
            while (!move.IsCompleted)
            {
                store.ReleaseOldest();   // a GET the read needed itself ends when released (this store ignores cancellation while holding)
            }

            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await move);
            Assert.True(rows > 0);
            await iterator.DisposeAsync();
            Assert.Equal((0L, 0), (options.ReadAhead!.BytesInUse, options.ReadAhead.RequestsInUse));
            store.FailAll(new ObjectStoreException(Path, store.Uri, "late failure", isTransient: false));
        });
    }

    [Fact]
    public async Task A_failed_read_ahead_request_is_the_exception_of_the_read_that_needs_it_and_the_scan_resumes_after_it()
    {
        var (store, reader) = await OpenAsync();
        var failAt = reader.Index.BlockOffset(reader.BlockCount / 2);
        var injected = new ObjectStoreException(Path, store.Uri, "injected", isTransient: true);
        store.Fail = r => r.Offset <= failAt && r.End > failAt ? injected : null;
        var options = ScanOptions(1 << 20);
        var iterator = reader.CreateIterator(KeyRange.All, options);
        var rows = 0;
        var thrown = 0;
        while (true)
        {
            bool moved;
            try
            {
                moved = await iterator.MoveNextAsync();
            }
            catch (ObjectStoreException e)
            {
                Assert.Same(injected, e);
                thrown++;
                store.Fail = null;
                continue;
            }

            if (!moved)
            {
                break;
            }

            Assert.True(iterator.Current.Key.Span.SequenceEqual(NumberKey(rows++)), $"row {rows}");
        }

        await iterator.DisposeAsync();
        Assert.Equal((3000, 1), (rows, thrown));
        Assert.Equal((0L, 0), (options.ReadAhead!.BytesInUse, options.ReadAhead.RequestsInUse));
    }

    [Fact]
    public void The_scan_budget_refuses_what_it_cannot_hold_and_counts_what_is_needed()
    {
        var budget = ReadAheadBudget.ForScan(100);
        Assert.True(budget.TryTake(60));
        Assert.False(budget.TryTake(41));
        budget.Take(500);
        Assert.Equal((560L, 2), (budget.BytesInUse, budget.RequestsInUse));
        budget.Return(500);
        budget.Return(60);
        Assert.Equal((0L, 0, 560L), (budget.BytesInUse, budget.RequestsInUse, budget.PeakBytes));
        Assert.Throws<InvalidOperationException>(() => budget.Return(1));
        Assert.False(ReadAheadBudget.ForScan(0).TryTake(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadAheadBudget.ForScan(-1));
    }

    // Reads rows until at least `queued` read-ahead GETs are pending, then disposes the iterator.
    private static async Task ReadUntilRequestsQueuedAsync(GatedObjectStore store, SstReader reader, SstReadOptions options, int queued)
    {
        var iterator = reader.CreateIterator(KeyRange.All, options);
        while (true)
        {
            var move = iterator.MoveNextAsync();
            while (!move.IsCompleted)
            {
                store.ReleaseOldest();
            }

            Assert.True(await move);
            if (store.Pending.Count >= queued)
            {
                break;
            }
        }

        await iterator.DisposeAsync();
    }

    private static int Blocks(SstReader reader, ByteRange? range)
    {
        var r = range!.Value;
        return Enumerable.Range(0, reader.BlockCount).Count(b => reader.Index.BlockOffset(b) >= r.Offset && reader.Index.BlockOffset(b) < r.End);
    }
}

/// <summary>
/// Holds every GET until the test releases it (oldest first), unless <see cref="AutoRelease"/>; records the ranges asked
/// for and the most GETs and bytes in flight at once. Continuations run on the releasing thread.
/// </summary>
internal sealed class GatedObjectStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    private readonly Lock _lock = new();
    private readonly List<PendingGet> _pending = [];

    public bool AutoRelease { get; set; }

    /// <summary>Chooses a failure for a ranged GET (null: none).</summary>
    public Func<ByteRange, Exception?>? Fail { get; set; }

    public List<ByteRange?> Requests { get; } = [];

    public int InFlight { get; private set; }

    public long InFlightBytes { get; private set; }

    public int MaxInFlight { get; private set; }

    public long MaxInFlightBytes { get; private set; }

    public IReadOnlyList<PendingGet> Pending
    {
        get
        {
            lock (_lock)
            {
                return _pending.ToList();
            }
        }
    }

    public override async Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        var data = await base.GetAsync(path, range, CancellationToken.None).ConfigureAwait(false);
        var failure = range is { } r ? Fail?.Invoke(r) : null;
        PendingGet get;
        lock (_lock)
        {
            Requests.Add(range);
            InFlight++;
            InFlightBytes += data.Bytes.Length;
            MaxInFlight = Math.Max(MaxInFlight, InFlight);
            MaxInFlightBytes = Math.Max(MaxInFlightBytes, InFlightBytes);
            get = new PendingGet(data.Bytes.Length, cancellationToken);
            if (!AutoRelease)
            {
                _pending.Add(get);
            }
        }

        if (!AutoRelease)
        {
            await get.Gate.Task.ConfigureAwait(false);
        }

        lock (_lock)
        {
            InFlight--;
            InFlightBytes -= get.Bytes;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return failure is null ? data : throw failure;
    }

    /// <summary>Forgets the requests and maxima recorded so far.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            Requests.Clear();
            (MaxInFlight, MaxInFlightBytes) = (0, 0);
        }
    }

    /// <summary>Completes the oldest held GET; fails the test when none is held (the reader would wait forever).</summary>
    public void ReleaseOldest()
    {
        PendingGet get;
        lock (_lock)
        {
            Assert.True(_pending.Count > 0, $"the reader waits, yet no GET is held; {InFlight} in flight; requests: {string.Join(", ", Requests.Select(r => $"{r?.Offset}+{r?.Length}"))}");
            get = _pending[0];
            _pending.RemoveAt(0);
        }

        get.Gate.SetResult();
    }

    /// <summary>Fails every held GET with <paramref name="e"/>.</summary>
    public void FailAll(Exception e)
    {
        List<PendingGet> all;
        lock (_lock)
        {
            all = [.. _pending];
            _pending.Clear();
        }

        foreach (var get in all)
        {
            get.Gate.SetException(e);
        }
    }

    internal sealed record PendingGet(int Bytes, CancellationToken Token)
    {
        public TaskCompletionSource Gate { get; } = new();
    }
}
