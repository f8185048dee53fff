using SlateDb.Format;
using SlateDb.Infrastructure;

namespace SlateDb.Read;

/// <summary>
/// One range tombstone: every version with a seq below <see cref="Seq"/> of every key in
/// [<see cref="Start"/>, <see cref="End"/>) is deleted. <see cref="End"/> null means unbounded.
/// </summary>
/// <param name="Start">The first key covered (inclusive, never empty).</param>
/// <param name="End">The key just past the range (exclusive), or null when unbounded.</param>
/// <param name="Seq">The seq the tombstone was written at; it hides strictly older versions.</param>
internal readonly record struct RangeTombstone(ReadOnlyMemory<byte> Start, ReadOnlyMemory<byte>? End, ulong Seq)
{
    /// <summary>The start stored for a range without a lower bound: the smallest non-empty key.</summary>
    public static ReadOnlyMemory<byte> UnboundedStart { get; } = new byte[] { 0 };

    /// <summary>
    /// An absent end, typed: a bare <c>null</c> in a conditional next to a <see cref="ReadOnlyMemory{T}"/> converts
    /// through <c>byte[]</c> to an empty, non-null end, which would cover no key at all.
    /// </summary>
    public static ReadOnlyMemory<byte>? NoEnd => null;

    /// <summary>Whether <paramref name="key"/> lies in the tombstone's range.</summary>
    public bool Covers(ReadOnlySpan<byte> key)
        => KeyCompare.Compare(key, Start.Span) >= 0 && (End is not { } end || KeyCompare.Compare(key, end.Span) < 0);

    /// <summary>
    /// The start key and the encoded end (empty: unbounded) of a range to delete, as a <see cref="RowKind.RangeDelete"/>
    /// row stores them.
    /// </summary>
    /// <exception cref="ArgumentException">The range is empty or inverted, or a bound is longer than a key may be.</exception>
    public static (ReadOnlyMemory<byte> Start, ReadOnlyMemory<byte> EncodedEnd) Encode(KeyRange range, string paramName)
    {
        ArgumentNullException.ThrowIfNull(range, paramName);
        var start = range.Start is { IsEmpty: false } s ? s : UnboundedStart;
        if (start.Length > Limits.MaxKeyLength)
        {
            throw new ArgumentException($"The range start is {start.Length} bytes; a key is at most {Limits.MaxKeyLength} bytes.", paramName);
        }

        if (range.End is not { } end)
        {
            return (start, ReadOnlyMemory<byte>.Empty);
        }

        if (end.Length > Limits.MaxKeyLength)
        {
            throw new ArgumentException($"The range end is {end.Length} bytes; a key is at most {Limits.MaxKeyLength} bytes.", paramName);
        }

        if (end.IsEmpty || KeyCompare.Compare(start.Span, end.Span) >= 0)
        {
            throw new ArgumentException(
                $"Cannot delete the range from {Describe(range.Start)} (inclusive) to {Describe(range.End)} (exclusive): "
                + "it holds no key (the end must be greater than the start).",
                paramName);
        }

        return (start, end);
    }

    /// <summary>The tombstone a <see cref="RowKind.RangeDelete"/> row records.</summary>
    public static RangeTombstone FromRow(in Row row)
        => new(row.Key, row.Value.IsEmpty ? NoEnd : row.Value, row.Seq);

    /// <summary>A copy whose bounds own their memory.</summary>
    public RangeTombstone Detach() => new(Start.ToArray(), End is { } end ? end.ToArray() : NoEnd, Seq);

    /// <inheritdoc />
    public override string ToString()
        => $"[{SstFormat.FormatKey(Start.Span)}, {(End is { } e ? SstFormat.FormatKey(e.Span) : "+inf")})@{Seq}";

    private static string Describe(ReadOnlyMemory<byte>? bound)
        => bound is { } b ? (b.IsEmpty ? "the empty key" : Convert.ToHexString(b.Span)) : "the first key";
}
