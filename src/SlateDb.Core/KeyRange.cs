namespace SlateDb;

/// <summary>A range of keys: inclusive start, exclusive end, either of which may be unbounded.</summary>
public sealed class KeyRange
{
    private KeyRange(ReadOnlyMemory<byte>? start, ReadOnlyMemory<byte>? end)
    {
        Start = start;
        End = end;
    }

    /// <summary>Every key.</summary>
    public static KeyRange All { get; } = new(null, null);

    /// <summary>A range over the given bounds, not copied (for ranges the engine builds from its own keys).</summary>
    internal static KeyRange Of(ReadOnlyMemory<byte>? start, ReadOnlyMemory<byte>? endExclusive) => new(start, endExclusive);

    /// <summary>The first key in the range (inclusive); null when unbounded.</summary>
    public ReadOnlyMemory<byte>? Start { get; }

    /// <summary>The key just past the range (exclusive); null when unbounded.</summary>
    public ReadOnlyMemory<byte>? End { get; }

    /// <summary>Keys from <paramref name="start"/> (inclusive) to <paramref name="endExclusive"/> (exclusive).</summary>
    /// <exception cref="ArgumentException"><paramref name="start"/> is greater than <paramref name="endExclusive"/>.</exception>
    public static KeyRange Between(ReadOnlyMemory<byte> start, ReadOnlyMemory<byte> endExclusive)
    {
        if (start.Span.SequenceCompareTo(endExclusive.Span) > 0)
        {
            throw new ArgumentException(
                $"The range start ({Convert.ToHexString(start.Span)}) is greater than its end ({Convert.ToHexString(endExclusive.Span)}).",
                nameof(start));
        }

        return new KeyRange(start.ToArray(), endExclusive.ToArray());
    }

    /// <summary>Keys greater than or equal to <paramref name="start"/>.</summary>
    public static KeyRange From(ReadOnlyMemory<byte> start) => new(start.ToArray(), null);

    /// <summary>Keys that start with <paramref name="prefix"/>; an empty prefix selects every key.</summary>
    public static KeyRange Prefix(ReadOnlyMemory<byte> prefix)
    {
        if (prefix.IsEmpty)
        {
            return All;
        }

        // A null successor must stay null: converting a null byte[] to ReadOnlyMemory<byte>? would give an empty,
        // non-null end that excludes every key.
        return PrefixSuccessor(prefix.Span) is { } end ? new KeyRange(prefix.ToArray(), end) : new KeyRange(prefix.ToArray(), null);
    }

    /// <summary>UTF-8 convenience for <see cref="Between(ReadOnlyMemory{byte}, ReadOnlyMemory{byte})"/>.</summary>
    public static KeyRange Between(string start, string endExclusive)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(endExclusive);
        return Between(System.Text.Encoding.UTF8.GetBytes(start), System.Text.Encoding.UTF8.GetBytes(endExclusive));
    }

    /// <summary>UTF-8 convenience for <see cref="Prefix(ReadOnlyMemory{byte})"/>.</summary>
    public static KeyRange Prefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Prefix(System.Text.Encoding.UTF8.GetBytes(prefix));
    }

    /// <summary>UTF-8 convenience for <see cref="From(ReadOnlyMemory{byte})"/>.</summary>
    public static KeyRange From(string start)
    {
        ArgumentNullException.ThrowIfNull(start);
        return From(System.Text.Encoding.UTF8.GetBytes(start));
    }

    /// <summary>Whether <paramref name="key"/> lies in the range.</summary>
    public bool Contains(ReadOnlySpan<byte> key)
        => (Start is not { } s || key.SequenceCompareTo(s.Span) >= 0)
           && (End is not { } e || key.SequenceCompareTo(e.Span) < 0);

    /// <summary>Whether <paramref name="key"/> is at or past the exclusive end.</summary>
    public bool IsPastEnd(ReadOnlySpan<byte> key) => End is { } e && key.SequenceCompareTo(e.Span) >= 0;

    /// <summary>Whether <paramref name="key"/> is before the inclusive start.</summary>
    public bool IsBeforeStart(ReadOnlySpan<byte> key) => Start is { } s && key.SequenceCompareTo(s.Span) < 0;

    /// <inheritdoc />
    public override string ToString()
        => $"[{(Start is { } s ? Convert.ToHexString(s.Span) : "-inf")}, {(End is { } e ? Convert.ToHexString(e.Span) : "+inf")})";

    // The smallest key greater than every key with this prefix; null when none exists (all bytes 0xFF).
    private static byte[]? PrefixSuccessor(ReadOnlySpan<byte> prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] != 0xFF)
            {
                var end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return end;
            }
        }

        return null;
    }
}
