using System.Buffers.Binary;

namespace SlateDb.Caching;

/// <summary>
/// An entry's expiry, stored beside its value: when it expires now, its absolute limit and its sliding window, as Unix
/// milliseconds (<see cref="Never"/> for none) and milliseconds (0 for none).
/// </summary>
/// <remarks>
/// Layout (25 bytes, little-endian): version 1 (1 byte), expiresAtMs (8), absoluteMs (8), slidingMs (8).
/// Invariant: <c>ExpiresAtMs &lt;= AbsoluteMs</c>; with a sliding window, <c>ExpiresAtMs = min(AbsoluteMs, lastAccess + SlidingMs)</c>.
/// </remarks>
internal readonly record struct CacheEntryMeta(long ExpiresAtMs, long AbsoluteMs, long SlidingMs)
{
    public const long Never = long.MaxValue;
    public const int Size = 25;
    private const byte Version = 1;

    public bool IsExpired(long nowMs) => nowMs >= ExpiresAtMs;

    /// <summary>The meta after an access at <paramref name="nowMs"/>: the sliding window restarts, capped by the absolute limit.</summary>
    public CacheEntryMeta Touched(long nowMs) => SlidingMs == 0 ? this : this with { ExpiresAtMs = Math.Min(AbsoluteMs, SaturatingAdd(nowMs, SlidingMs)) };

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), ExpiresAtMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(9), AbsoluteMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(17), SlidingMs);
        return bytes;
    }

    /// <exception cref="InvalidDataException">The bytes are not a cache entry's meta; the message names the key.</exception>
    public static CacheEntryMeta Decode(ReadOnlySpan<byte> bytes, string key)
    {
        if (bytes.Length != Size || bytes[0] != Version)
        {
            throw new InvalidDataException(
                $"The cache entry '{key}' has expiry data of {bytes.Length} bytes, version {(bytes.IsEmpty ? -1 : bytes[0])}; expected {Size} bytes, version {Version}. Another writer uses the cache's key prefix.");
        }

        return new CacheEntryMeta(
            BinaryPrimitives.ReadInt64LittleEndian(bytes[1..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[17..]));
    }

    public static long SaturatingAdd(long ms, long delta) => ms > Never - delta ? Never : ms + delta;
}
