namespace SlateDb.Bench;

/// <summary>
/// Keys are zero-padded decimal numbers of the configured size (like db_bench); values are slices of one
/// random buffer, so neither allocates per operation.
/// </summary>
internal sealed class KeySource
{
    private readonly int _keySize;
    private readonly int _valueSize;
    private readonly byte[] _values;

    public KeySource(BenchOptions options)
        : this(options.KeySize, options.ValueSize, options.Seed)
    {
    }

    public KeySource(int keySize, int valueSize, int seed)
    {
        _keySize = keySize;
        _valueSize = valueSize;
        _values = new byte[_valueSize + 4096];
        new Random(seed).NextBytes(_values);
    }

    public int KeySize => _keySize;

    /// <summary>Writes the key for <paramref name="index"/> into <paramref name="destination"/> (KeySize bytes).</summary>
    public void Key(long index, Span<byte> destination)
    {
        var key = destination[.._keySize];
        var rest = (ulong)index;
        for (var i = key.Length - 1; i >= 0; i--)
        {
            key[i] = (byte)('0' + (rest % 10));
            rest /= 10;
        }

        if (rest != 0)
        {
            throw new InvalidOperationException($"The key {index} does not fit in {_keySize} bytes.");
        }
    }

    /// <summary>A new array holding the key for <paramref name="index"/>.</summary>
    public byte[] Key(long index)
    {
        var key = new byte[_keySize];
        Key(index, key);
        return key;
    }

    public ReadOnlyMemory<byte> Value(long index) => _values.AsMemory((int)(index & 4095), _valueSize);
}
