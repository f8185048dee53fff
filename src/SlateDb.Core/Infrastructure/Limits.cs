using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SlateDb.Infrastructure;

/// <summary>The limits on keys and values, enforced at the API edge.</summary>
internal static class Limits
{
    /// <summary>The longest key, in bytes.</summary>
    public const int MaxKeyLength = ushort.MaxValue;

    /// <summary>The largest value, in bytes (a value must fit in one SST block buffer and one WAL object).</summary>
    public const int MaxValueLength = 64 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="key"/> is a valid key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ValidateKey(ReadOnlySpan<byte> key, [CallerArgumentExpression(nameof(key))] string? paramName = null)
    {
        if (key.IsEmpty || key.Length > MaxKeyLength)
        {
            ThrowBadKey(key.Length, paramName);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="value"/> is within the value limit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ValidateValue(ReadOnlySpan<byte> value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value.Length > MaxValueLength)
        {
            ThrowValueTooLong(value.Length, paramName);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadKey(int length, string? paramName)
        => throw new ArgumentException(
            length == 0 ? "A key must not be empty." : $"A key is {length} bytes; the limit is {MaxKeyLength} bytes.",
            paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowValueTooLong(int length, string? paramName)
        => throw new ArgumentException($"A value is {length} bytes; the limit is {MaxValueLength} bytes.", paramName);
}
