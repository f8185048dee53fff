using System.Buffers.Binary;
using System.Numerics;

namespace SlateDb.Infrastructure;

/// <summary>
/// The database's source of randomness: xoshiro256** seeded through splitmix64, so one seed gives one
/// sequence on every platform and every .NET version (a simulation replays exactly). Thread-safe: each
/// call takes a short lock, so callers that share one instance still get a deterministic sequence when
/// their calls are ordered, and <see cref="Fork"/> gives a component its own stream.
/// </summary>
/// <remarks>Not for secrets. A database opened without a configured seed seeds it from the clock (<see cref="DbBuilder.WithSeed"/>).</remarks>
internal sealed class DbRandom
{
    private readonly Lock _lock = new();
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public DbRandom(ulong seed)
    {
        Seed = seed;
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The seed this generator started from (log it so a run can be replayed).</summary>
    public ulong Seed { get; }

    /// <summary>A new generator seeded from this one: a deterministic, independent stream for one component.</summary>
    public DbRandom Fork() => new(NextUInt64());

    /// <summary>64 uniformly random bits.</summary>
    public ulong NextUInt64()
    {
        lock (_lock)
        {
            return NextCore();
        }
    }

    /// <summary>A uniformly random non-negative <see cref="long"/> (0 to <see cref="long.MaxValue"/>, inclusive).</summary>
    public long NextInt64() => (long)(NextUInt64() >> 1);

    /// <summary>A uniformly random value in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is not above <paramref name="minInclusive"/>.</exception>
    public long NextInt64(long minInclusive, long maxExclusive)
    {
        if (maxExclusive <= minInclusive)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxExclusive), maxExclusive, $"The upper bound must be above the lower bound {minInclusive}.");
        }

        return minInclusive + (long)NextBelow((ulong)(maxExclusive - minInclusive));
    }

    /// <summary>A uniformly random value in [0, <paramref name="maxExclusive"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is not positive.</exception>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)NextBelow((ulong)maxExclusive);
    }

    /// <summary>A uniformly random <see cref="double"/> in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    public void NextBytes(Span<byte> destination)
    {
        lock (_lock)
        {
            while (destination.Length >= sizeof(ulong))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination, NextCore());
                destination = destination[sizeof(ulong)..];
            }

            if (!destination.IsEmpty)
            {
                Span<byte> last = stackalloc byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64LittleEndian(last, NextCore());
                last[..destination.Length].CopyTo(destination);
            }
        }
    }

    /// <summary>A ULID with timestamp <paramref name="timestampMs"/> and 80 random bits.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is negative or above <see cref="Ulid.MaxTimestampMs"/>.</exception>
    public Ulid NextUlid(long timestampMs)
    {
        Span<byte> random = stackalloc byte[Ulid.RandomLength];
        NextBytes(random);
        return Ulid.Create(timestampMs, random);
    }

    /// <summary>A random (version 4, RFC 4122 variant) <see cref="Guid"/>.</summary>
    public Guid NextGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    // Lemire's nearly-divisionless method: multiply, reject the small biased band.
    private ulong NextBelow(ulong bound)
    {
        lock (_lock)
        {
            while (true)
            {
                var product = Math.BigMul(NextCore(), bound, out var low);
                if (low >= bound || low >= (0 - bound) % bound)
                {
                    return product;
                }
            }
        }
    }

    private ulong NextCore()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
