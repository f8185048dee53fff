namespace SlateDb.ObjectStore;

/// <summary>A range of bytes in an object.</summary>
public readonly record struct ByteRange
{
    /// <summary>Creates a range of <paramref name="length"/> bytes starting at <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset or the length is negative.</exception>
    public ByteRange(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Offset = offset;
        Length = length;
    }

    /// <summary>The first byte of the range.</summary>
    public long Offset { get; }

    /// <summary>How many bytes the range covers.</summary>
    public long Length { get; }

    /// <summary>The offset just past the range.</summary>
    public long End => Offset + Length;

    /// <summary>Clamps this range to an object of <paramref name="size"/> bytes: returns the offset and length actually readable.</summary>
    public (long Offset, long Length) ClampTo(long size)
    {
        if (Offset >= size)
        {
            return (size, 0);
        }

        return (Offset, Math.Min(Length, size - Offset));
    }
}
