namespace SlateDb.Testing.Simulation;

/// <summary>
/// Seeded keys and values for randomized workloads: a fixed pool of keys (so overwrites and deletes hit
/// existing keys) mixing readable keys, binary keys with 0x00/0xFF bytes and long keys, and values whose
/// sizes range from empty to several blocks.
/// </summary>
public sealed class KeyValueGenerator
{
    private readonly Random _random;
    private readonly byte[][] _pool;

    public KeyValueGenerator(Random random, int poolSize = 300)
    {
        _random = random;
        var keys = new HashSet<byte[]>(Bytes.Ordinal);
        while (keys.Count < poolSize)
        {
            keys.Add(NewKey());
        }

        _pool = [.. keys];
    }

    /// <summary>A key from the pool.</summary>
    public byte[] PoolKey() => _pool[_random.Next(_pool.Length)];

    /// <summary>A key from the pool most of the time, otherwise a fresh random one.</summary>
    public byte[] AnyKey() => _random.Next(10) < 8 ? PoolKey() : NewKey();

    /// <summary>A value: often small, sometimes empty, sometimes larger than a block.</summary>
    public byte[] Value()
    {
        var roll = _random.Next(100);
        var length = roll switch
        {
            < 5 => 0,
            < 45 => _random.Next(1, 17),
            < 85 => _random.Next(17, 200),
            < 97 => _random.Next(200, 1500),
            _ => _random.Next(1500, 5000),
        };
        var value = new byte[length];
        _random.NextBytes(value);
        return value;
    }

    /// <summary>A short readable prefix that several pool keys share (for prefix scans).</summary>
    public byte[] Prefix()
    {
        var key = PoolKey();
        return key[..Math.Min(key.Length, _random.Next(1, 8))];
    }

    private byte[] NewKey()
    {
        var roll = _random.Next(100);
        if (roll < 88)
        {
            return Bytes.Utf8($"key-{_random.Next(1000):D4}");
        }

        if (roll < 96)
        {
            // Binary keys including the extremes of the byte order.
            var key = new byte[_random.Next(1, 9)];
            _random.NextBytes(key);
            if (_random.Next(3) == 0)
            {
                key[_random.Next(key.Length)] = _random.Next(2) == 0 ? (byte)0x00 : (byte)0xFF;
            }

            return key;
        }

        var longKey = new byte[_random.Next(100, 1000)];
        Bytes.Utf8($"long-{_random.Next(100):D2}-").CopyTo(longKey, 0);
        for (var i = 8; i < longKey.Length; i++)
        {
            longKey[i] = (byte)('a' + (i % 26));
        }

        return longKey;
    }
}
