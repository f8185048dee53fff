using System.Buffers.Binary;

namespace SlateDb.Bench;

/// <summary>
/// merge: counter increments, as merge operands (<see cref="Db.MergeAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, WriteOptions?, CancellationToken)"/>
/// with an adding <see cref="IMergeOperator"/>) against read-modify-write (a get, then a put of the sum), each on a fresh
/// database of the chosen store.
/// </summary>
internal static class MergeWorkload
{
    private const int Counters = 1_000;
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };
    private static readonly TimeProvider Clock = TimeProvider.System;

    /// <summary>
    /// <c>--num</c> increments (default 200 000) of random counters out of 1 000 by <c>--writers</c> workers (default 1),
    /// not awaiting durability; then the memtable is flushed and every counter read back and checked.
    /// </summary>
    public static async Task<IReadOnlyList<BenchResult>> RunAsync(BenchOptions o)
    {
        if (o.WarmupOps > 0)
        {
            // Both paths once on scratch databases, not reported: the measured runs start with optimized code.
            await RunOnceAsync(o.ForWarmup(), useMerge: true);
            await RunOnceAsync(o.ForWarmup(), useMerge: false);
        }

        return [await RunOnceAsync(o, useMerge: true), await RunOnceAsync(o, useMerge: false)];
    }

    private static async Task<BenchResult> RunOnceAsync(BenchOptions o, bool useMerge)
    {
        var workers = o.Writers ?? 1;
        var num = o.EffectiveNum;
        var keys = new KeySource(o);
        var label = useMerge ? "merge" : "get+put";
        await using var run = await BenchRun.OpenAsync(o, "merge-" + (useMerge ? "operand" : "rmw"), s => s.MergeOperator = new AddOperator());
        var one = BitConverter.GetBytes(1L);
        var latencies = new Latencies((int)num);
        long issued = 0;
        var start = Clock.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random((o.Seed * 7919) + w);
            while (Interlocked.Increment(ref issued) <= num)
            {
                var key = keys.Key(random.Next(Counters));
                var t0 = Clock.GetTimestamp();
                if (useMerge)
                {
                    await run.Db.MergeAsync(key, one, NoWait);
                }
                else
                {
                    var current = await run.Db.GetAsync(key);
                    var next = (current is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(current)) + 1;
                    await run.Db.PutAsync(key, BitConverter.GetBytes(next), NoWait);
                }

                latencies.Record(t0, Clock.GetTimestamp());
            }
        })));
        var elapsed = Clock.GetElapsedTime(start);

        // Read every counter back twice (after a flush, so merges resolve from L0): the first pass opens the SST and
        // fills the block cache, the second shows the steady cost of a read.
        await run.Db.FlushAsync(FlushType.MemTable);
        long total = 0;
        var readMs = new double[2];
        for (var pass = 0; pass < 2; pass++)
        {
            total = 0;
            var readStart = Clock.GetTimestamp();
            for (var i = 0; i < Counters; i++)
            {
                if (await run.Db.GetAsync(keys.Key(i)) is { } value)
                {
                    total += BinaryPrimitives.ReadInt64LittleEndian(value);
                }
            }

            readMs[pass] = Clock.GetElapsedTime(readStart).TotalMilliseconds;
        }

        var lost = num - total;
        if (useMerge && lost != 0)
        {
            throw new InvalidOperationException($"The counters add up to {total}, not {num}: merges were lost.");
        }

        return new BenchResult($"{label} increments, {workers} writer(s)", num, elapsed, latencies, "per increment", num * 8,
            StoreCounters.From(run.Store),
            $"{Counters:N0} counters; reading them all back took {readMs[0]:0.0} ms, then {readMs[1]:0.0} ms; {lost:N0} increments lost to races between get and put");
    }

    // Adds 64-bit little-endian integers; a missing value counts as zero.
    private sealed class AddOperator : IMergeOperator
    {
        public byte[] Merge(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, ReadOnlyMemory<byte> operand)
        {
            var sum = (existing is { } e ? BinaryPrimitives.ReadInt64LittleEndian(e.Span) : 0) + BinaryPrimitives.ReadInt64LittleEndian(operand.Span);
            return BitConverter.GetBytes(sum);
        }

        public byte[] MergeBatch(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, IReadOnlyList<ReadOnlyMemory<byte>> operands)
        {
            var sum = existing is { } e ? BinaryPrimitives.ReadInt64LittleEndian(e.Span) : 0;
            foreach (var operand in operands)
            {
                sum += BinaryPrimitives.ReadInt64LittleEndian(operand.Span);
            }

            return BitConverter.GetBytes(sum);
        }
    }
}
