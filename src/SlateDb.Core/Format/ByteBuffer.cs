using System.Buffers;
using System.Runtime.CompilerServices;

namespace SlateDb.Format;

/// <summary>
/// A growable byte buffer the SST writer encodes into. Unlike <see cref="ArrayBufferWriter{T}"/> it allows patching
/// written bytes and hands its array to the caller without a copy (<see cref="WrittenMemory"/>). Its array is not
/// zeroed: only written bytes are ever exposed.
/// </summary>
internal sealed class ByteBuffer : IBufferWriter<byte>
{
    private byte[] _array;
    private int _length;

    public ByteBuffer(int initialCapacity)
    {
        _array = GC.AllocateUninitializedArray<byte>(Math.Max(initialCapacity, 16));
    }

    /// <summary>How many bytes were written.</summary>
    public int Length => _length;

    /// <summary>The written bytes, writable (for patching).</summary>
    public Span<byte> WrittenSpan => _array.AsSpan(0, _length);

    /// <summary>The written bytes as memory over the buffer's array (no copy).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => new(_array, 0, _length);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_array.Length - _length))
        {
            ThrowBadAdvance(count);
        }

        _length += count;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        if (_array.Length - _length < Math.Max(sizeHint, 1))
        {
            Ensure(Math.Max(sizeHint, 1));
        }

        return _array.AsSpan(_length);
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _array.AsMemory(_length);
    }

    /// <summary>Appends <paramref name="data"/>.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        _length += data.Length;
    }

    /// <summary>Forgets the bytes written after the first <paramref name="length"/>.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
    }

    /// <summary>Forgets the written bytes, keeping the array.</summary>
    public void Reset() => _length = 0;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadAdvance(int count)
        => throw new ArgumentOutOfRangeException(nameof(count), $"Cannot advance {count} bytes past {_length} of {_array.Length}.");

    private void Ensure(int size)
    {
        if (_array.Length - _length >= size)
        {
            return;
        }

        var needed = (long)_length + size;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"An SST buffer cannot grow past {Array.MaxLength} bytes ({needed} needed).");
        }

        var capacity = (int)Math.Min(Array.MaxLength, Math.Max(needed, _array.Length * 2L));
        var grown = GC.AllocateUninitializedArray<byte>(capacity);
        _array.AsSpan(0, _length).CopyTo(grown);
        _array = grown;
    }
}
