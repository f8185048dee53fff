using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SlateDb.Infrastructure;

/// <summary>The limits on keys, values and writes, enforced at the API edge.</summary>
internal static class Limits
{
    /// <summary>The longest key, in bytes.</summary>
    public const int MaxKeyLength = ushort.MaxValue;

    /// <summary>The largest value, in bytes (a value must fit in one SST block buffer and one WAL object).</summary>
    public const int MaxValueLength = 64 * 1024 * 1024;

    /// <summary>
    /// The largest write (one put, delete or batch), in estimated encoded bytes, whatever
    /// <see cref="Settings.MaxUnflushedBytes"/> allows: a write is copied whole into one WAL object and one memtable,
    /// and encoding it takes several times its size in memory.
    /// </summary>
    public const long MaxWriteBytes = 256L * 1024 * 1024;

    /// <summary>The largest write <paramref name="settings"/> allow: the smaller of <see cref="Settings.MaxUnflushedBytes"/> and <see cref="MaxWriteBytes"/>.</summary>
    public static long MaxWriteBytesFor(Settings settings) => Math.Min(settings.MaxUnflushedBytes, MaxWriteBytes);

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="key"/> is a valid key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ValidateKey(ReadOnlySpan<byte> key, string paramName)
    {
        if (key.IsEmpty || key.Length > MaxKeyLength)
        {
            ThrowBadKey(key.Length, paramName);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="value"/> is within the value limit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ValidateValue(ReadOnlySpan<byte> value, string paramName)
    {
        if (value.Length > MaxValueLength)
        {
            ThrowValueTooLong(value.Length, paramName);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> when a write of <paramref name="encodedBytes"/> is over <paramref name="limit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ValidateWriteSize(long encodedBytes, long limit, string paramName)
    {
        if (encodedBytes > limit)
        {
            ThrowWriteTooLarge(encodedBytes, limit, paramName);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadKey(int length, string paramName)
        => throw new ArgumentException(
            length == 0 ? "A key must not be empty." : $"A key is {length} bytes; the limit is {MaxKeyLength} bytes.",
            paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowValueTooLong(int length, string paramName)
        => throw new ArgumentException($"A value is {length} bytes; the limit is {MaxValueLength} bytes.", paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWriteTooLarge(long encodedBytes, long limit, string paramName)
        => throw new ArgumentException(
            $"A write is {encodedBytes} bytes encoded; the limit is {limit} bytes (the smaller of Settings.{nameof(Settings.MaxUnflushedBytes)} " +
            $"and {MaxWriteBytes} bytes). Split it into smaller writes.",
            paramName);
}
