using System.Runtime.CompilerServices;

namespace SlateDb.ObjectStore;

/// <summary>
/// A test wrapper that fails, delays or "crashes" chosen calls to the store it wraps, deterministically for a seed.
/// </summary>
/// <remarks>
/// <para>
/// Every call through the wrapper gets a 1-based call number (<see cref="CallCount"/> is the last one handed out).
/// For each call the wrapper decides, in call-number order under one lock: first the crash (a call at or after the
/// crash point throws <see cref="SimulatedCrashException"/>), then the first matching failure rule, then the
/// latency. A failure either happens <em>before</em> the inner call (nothing reached the store) or <em>after</em> it
/// (the request took effect but its reply was lost). Random choices come from one generator seeded by the
/// constructor, so the same sequence of calls gets the same faults.
/// </para>
/// <para>A listing counts as one call when its enumeration starts; an "after" failure ends it after the last item.</para>
/// <para>
/// <see cref="AddToxic"/> adds faults chosen per path rather than per call number: a toxic's decision for a call
/// derives from the seed, the toxic, the operation, the path and that path's call count, so calls on other paths
/// (for example a background task's) do not change it. Toxics apply after the crash and the rules above, and
/// their latencies add up.
/// </para>
/// </remarks>
public sealed class FaultInjectingObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Random _random;
    private readonly List<Rule> _rules = [];
    private readonly List<ObjectStoreToxic> _toxics = [];
    private readonly Dictionary<(ObjectStoreOperation Operation, string Path), long> _pathCalls = [];
    private readonly Dictionary<(int Toxic, string Path), int> _strikes = [];
    private readonly ulong _seed;
    private TimeSpan _minLatency;
    private TimeSpan _maxLatency;
    private long _calls;
    private long _crashAt = long.MaxValue;
    private bool _crashAfterApplying;
    private bool _crashedNow;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The store calls go to when no fault applies.</param>
    /// <param name="seed">Seeds every random choice (latencies, <see cref="FailRandomly"/>).</param>
    /// <param name="timeProvider">The clock added latency waits on; <see cref="TimeProvider.System"/> when null.</param>
    public FaultInjectingObjectStore(IObjectStore inner, int seed, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _random = new Random(seed);
        _seed = (ulong)(uint)seed;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Uri => _inner.Uri;

    /// <summary>The wrapped store.</summary>
    public IObjectStore Inner => _inner;

    /// <summary>How many calls have been made through this wrapper.</summary>
    public long CallCount => Interlocked.Read(ref _calls);

    /// <summary>Whether the simulated crash has happened (every further call throws <see cref="SimulatedCrashException"/>).</summary>
    public bool IsCrashed
    {
        get
        {
            lock (_lock)
            {
                return _crashedNow || _calls >= _crashAt;
            }
        }
    }

    /// <summary>Fails call number <paramref name="callNumber"/> (1-based, counting every call through this wrapper).</summary>
    /// <param name="callNumber">The call to fail.</param>
    /// <param name="afterApplying">Fail after the inner call took effect (the reply is lost) instead of before it.</param>
    /// <param name="transient">Whether the thrown <see cref="ObjectStoreException"/> is transient.</param>
    public FaultInjectingObjectStore FailCall(long callNumber, bool afterApplying = false, bool transient = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(callNumber, 1);
        return AddRule(new Rule(ctx => ctx.CallNumber == callNumber, 1, afterApplying, transient, 1));
    }

    /// <summary>Fails the calls <paramref name="predicate"/> selects, at most <paramref name="times"/> times.</summary>
    public FaultInjectingObjectStore FailWhen(Func<FaultContext, bool> predicate, bool afterApplying = false, bool transient = true, int times = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        return AddRule(new Rule(predicate, 1, afterApplying, transient, times));
    }

    /// <summary>Fails each call (that <paramref name="where"/> selects, if given) with probability <paramref name="probability"/>.</summary>
    public FaultInjectingObjectStore FailRandomly(double probability, bool afterApplying = false, bool transient = true, Func<FaultContext, bool>? where = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(probability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1.0);
        return AddRule(new Rule(where ?? (_ => true), probability, afterApplying, transient, int.MaxValue));
    }

    /// <summary>Delays every call by a seeded random time between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public FaultInjectingObjectStore AddLatency(TimeSpan min, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        lock (_lock)
        {
            _minLatency = min;
            _maxLatency = max;
        }

        return this;
    }

    /// <summary>Adds <paramref name="toxic"/>; it applies to every later call it selects (see the class remarks).</summary>
    public FaultInjectingObjectStore AddToxic(ObjectStoreToxic toxic)
    {
        ArgumentNullException.ThrowIfNull(toxic);
        toxic.Validate();
        lock (_lock)
        {
            _toxics.Add(toxic);
        }

        return this;
    }

    /// <summary>How many times the toxics struck (a latency counts too).</summary>
    public long ToxicStrikes { get; private set; }

    /// <summary>Simulates a crash at call <paramref name="callNumber"/>: that call and every later one throw <see cref="SimulatedCrashException"/>.</summary>
    /// <param name="callNumber">The first call to fail.</param>
    /// <param name="afterApplying">Let that call take effect first (the process dies before seeing the reply).</param>
    public FaultInjectingObjectStore CrashAtCall(long callNumber, bool afterApplying = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(callNumber, 1);
        lock (_lock)
        {
            _crashAt = callNumber;
            _crashAfterApplying = afterApplying;
        }

        return this;
    }

    /// <summary>Simulates a crash now: every later call throws <see cref="SimulatedCrashException"/>.</summary>
    public FaultInjectingObjectStore Crash()
    {
        lock (_lock)
        {
            _crashAt = Math.Min(_crashAt, _calls + 1);
            _crashAfterApplying = false;
            _crashedNow = true;
        }

        return this;
    }

    /// <summary>Removes every failure rule, toxic and the added latency (a crash stays).</summary>
    public FaultInjectingObjectStore ClearFaults()
    {
        lock (_lock)
        {
            _rules.Clear();
            _toxics.Clear();
            _minLatency = _maxLatency = TimeSpan.Zero;
        }

        return this;
    }

    /// <inheritdoc />
    public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
        => RunAsync(ObjectStoreOperation.Get, path, null, ct => _inner.GetAsync(path, range, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
        => RunAsync(ObjectStoreOperation.Head, path, null, ct => _inner.HeadAsync(path, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => RunAsync(ObjectStoreOperation.Put, path, mode, ct => _inner.PutAsync(path, data, mode, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
        => RunAsync(ObjectStoreOperation.Put, path, mode, ct => _inner.PutAsync(path, data, mode, options, ct), cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var decision = await BeginAsync(ObjectStoreOperation.List, prefix, null, cancellationToken).ConfigureAwait(false);
        var yielded = 0;
        await foreach (var meta in _inner.ListAsync(prefix, startAfter, cancellationToken).ConfigureAwait(false))
        {
            if (yielded == decision.TornAfter)
            {
                break;
            }

            yielded++;
            yield return meta;
        }

        if (decision.TornAfter >= 0)
        {
            throw new ObjectStoreException(prefix, Uri, $"Injected torn listing at store call {decision.CallNumber}, after {yielded} items", isTransient: true);
        }

        End(decision, prefix);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string path, CancellationToken cancellationToken = default)
        => RunAsync(ObjectStoreOperation.Delete, path, null, async ct =>
        {
            await _inner.DeleteAsync(path, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
        => RunAsync(ObjectStoreOperation.Copy, from, null, async ct =>
        {
            await _inner.CopyAsync(from, to, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private FaultInjectingObjectStore AddRule(Rule rule)
    {
        lock (_lock)
        {
            _rules.Add(rule);
        }

        return this;
    }

    private async Task<T> RunAsync<T>(ObjectStoreOperation operation, string path, PutMode? mode, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var decision = await BeginAsync(operation, path, mode, cancellationToken).ConfigureAwait(false);
        var result = await call(cancellationToken).ConfigureAwait(false);
        End(decision, path);
        return result;
    }

    /// <summary>Numbers the call, waits out its latency and throws a fault that strikes before the inner call.</summary>
    private async Task<Decision> BeginAsync(ObjectStoreOperation operation, string path, PutMode? mode, CancellationToken cancellationToken)
    {
        var decision = Decide(operation, path, mode);
        if (decision.Latency > TimeSpan.Zero)
        {
            await Task.Delay(decision.Latency, _time, cancellationToken).ConfigureAwait(false);
        }

        if (decision.Crash && !decision.AfterApplying)
        {
            throw new SimulatedCrashException(path, Uri, decision.CallNumber);
        }

        if (decision.Fail && !decision.AfterApplying)
        {
            throw Injected(decision, path);
        }

        return decision;
    }

    /// <summary>Throws a fault that strikes after the inner call took effect.</summary>
    private void End(Decision decision, string path)
    {
        if (decision.Crash)
        {
            throw new SimulatedCrashException(path, Uri, decision.CallNumber);
        }

        if (decision.Fail)
        {
            throw Injected(decision, path);
        }
    }

    private Decision Decide(ObjectStoreOperation operation, string path, PutMode? mode)
    {
        lock (_lock)
        {
            var callNumber = Interlocked.Increment(ref _calls);
            var latency = _maxLatency > _minLatency
                ? _minLatency + TimeSpan.FromTicks((long)(_random.NextDouble() * (_maxLatency - _minLatency).Ticks))
                : _minLatency;

            if (callNumber >= _crashAt)
            {
                return new Decision(callNumber, latency, Crash: true, Fail: false, AfterApplying: callNumber == _crashAt && _crashAfterApplying, Transient: false);
            }

            var context = new FaultContext(operation, path, mode, callNumber);
            foreach (var rule in _rules)
            {
                if (rule.Remaining > 0 && rule.Predicate(context) && (rule.Probability >= 1 || _random.NextDouble() < rule.Probability))
                {
                    rule.Remaining--;
                    return new Decision(callNumber, latency, Crash: false, Fail: true, rule.AfterApplying, rule.Transient);
                }
            }

            return _toxics.Count == 0
                ? new Decision(callNumber, latency, Crash: false, Fail: false, AfterApplying: false, Transient: false)
                : DecideToxics(callNumber, latency, operation, path);
        }
    }

    // Called under the lock: the toxics' verdict for this call, from (seed, toxic, operation, path, path call count).
    private Decision DecideToxics(long callNumber, TimeSpan latency, ObjectStoreOperation operation, string path)
    {
        var count = _pathCalls.GetValueOrDefault((operation, path)) + 1;
        _pathCalls[(operation, path)] = count;
        var fail = false;
        var afterApplying = false;
        var tornAfter = -1;
        for (var i = 0; i < _toxics.Count; i++)
        {
            var toxic = _toxics[i];
            if (!toxic.Selects(operation, path))
            {
                continue;
            }

            var draw = Mix(Mix(Mix(_seed ^ ((ulong)i << 48) ^ ((ulong)operation << 40)) ^ Fnv(path)) ^ (ulong)count);
            if (ToUnit(draw) >= toxic.Probability)
            {
                continue;
            }

            if (toxic.Kind == ToxicKind.Latency)
            {
                latency += TimeSpan.FromTicks((long)(ToUnit(Mix(draw)) * toxic.MaxLatency.Ticks));
                ToxicStrikes++;
                continue;
            }

            var strikes = _strikes.GetValueOrDefault((i, path));
            if (fail || tornAfter >= 0 || strikes >= toxic.MaxPerPath)
            {
                continue;
            }

            _strikes[(i, path)] = strikes + 1;
            ToxicStrikes++;
            if (toxic.Kind == ToxicKind.TornListing)
            {
                tornAfter = (int)(Mix(draw) % 4);
            }
            else
            {
                fail = true;
                afterApplying = toxic.Kind == ToxicKind.FailAfter;
            }
        }

        return new Decision(callNumber, latency, Crash: false, fail, afterApplying, Transient: true, tornAfter);
    }

    private static ulong Fnv(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    // SplitMix64's finalizer: a well-mixed 64-bit value from any input.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    private static double ToUnit(ulong x) => (x >> 11) * (1.0 / (1UL << 53));

    private ObjectStoreException Injected(Decision decision, string path)
    {
        var kind = decision.Transient ? "transient" : "permanent";
        var when = decision.AfterApplying ? "after the call took effect" : "before the call reached the store";
        return new ObjectStoreException(path, Uri, $"Injected {kind} fault at store call {decision.CallNumber}, {when}", decision.Transient);
    }

    private readonly record struct Decision(long CallNumber, TimeSpan Latency, bool Crash, bool Fail, bool AfterApplying, bool Transient, int TornAfter = -1);

    private sealed class Rule(Func<FaultContext, bool> predicate, double probability, bool afterApplying, bool transient, int times)
    {
        public Func<FaultContext, bool> Predicate { get; } = predicate;

        public double Probability { get; } = probability;

        public bool AfterApplying { get; } = afterApplying;

        public bool Transient { get; } = transient;

        public int Remaining { get; set; } = times;
    }
}
