using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SlateDb.Infrastructure;

/// <summary>
/// A ULID: a 128-bit id made of a 48-bit Unix millisecond timestamp followed by 80 random bits, written
/// as 26 Crockford base32 characters (uppercase). Comparing two ULIDs, their big-endian bytes or their
/// strings (ordinally) gives the same order, which is timestamp order first. Compacted SSTs are named by
/// ULIDs; mint them with <see cref="DbRandom.NextUlid(long)"/>.
/// </summary>
internal readonly struct Ulid : IEquatable<Ulid>, IComparable<Ulid>, ISpanFormattable
{
    /// <summary>How many characters the string form has.</summary>
    public const int StringLength = 26;

    /// <summary>How many bytes the binary form has.</summary>
    public const int ByteLength = 16;

    /// <summary>How many random bytes follow the timestamp.</summary>
    public const int RandomLength = 10;

    /// <summary>The largest timestamp a ULID can carry (2^48 - 1 ms, in the year 10889).</summary>
    public const long MaxTimestampMs = (1L << 48) - 1;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>The all-zero ULID, lower than every other.</summary>
    public static readonly Ulid MinValue;

    /// <summary>The all-ones ULID, higher than every other.</summary>
    public static readonly Ulid MaxValue = new(ulong.MaxValue, ulong.MaxValue);

    /// <summary>Creates a ULID from its two 64-bit halves.</summary>
    /// <param name="high">Bits 127..64: the timestamp (48 bits) and the top 16 random bits.</param>
    /// <param name="low">Bits 63..0: the low 64 random bits.</param>
    public Ulid(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    /// <summary>Bits 127..64: the timestamp and the top 16 random bits.</summary>
    public ulong High { get; }

    /// <summary>Bits 63..0: the low 64 random bits.</summary>
    public ulong Low { get; }

    /// <summary>The Unix timestamp, in milliseconds, the ULID was minted at.</summary>
    public long TimestampMs => (long)(High >> 16);

    /// <summary>The ULID for <paramref name="timestampMs"/> with the given 80 random bits.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is negative or above <see cref="MaxTimestampMs"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="randomness"/> is not 10 bytes.</exception>
    public static Ulid Create(long timestampMs, ReadOnlySpan<byte> randomness)
    {
        ValidateTimestamp(timestampMs);
        if (randomness.Length != RandomLength)
        {
            throw new ArgumentException($"A ULID takes {RandomLength} random bytes; got {randomness.Length}.", nameof(randomness));
        }

        var high = ((ulong)timestampMs << 16) | BinaryPrimitives.ReadUInt16BigEndian(randomness);
        return new Ulid(high, BinaryPrimitives.ReadUInt64BigEndian(randomness[2..]));
    }

    /// <summary>The lowest ULID with timestamp <paramref name="timestampMs"/> (all random bits zero).</summary>
    public static Ulid MinAt(long timestampMs)
    {
        ValidateTimestamp(timestampMs);
        return new Ulid((ulong)timestampMs << 16, 0);
    }

    /// <summary>Reads a ULID from its 16 big-endian bytes.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 16 bytes.</exception>
    public static Ulid FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new ArgumentException($"A ULID is {ByteLength} bytes; got {bytes.Length}.", nameof(bytes));
        }

        return new Ulid(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    /// <summary>Writes the 16 big-endian bytes (their ordinal order is the ULID order).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 16 bytes.</exception>
    public void WriteBytes(Span<byte> destination)
    {
        if (destination.Length < ByteLength)
        {
            throw new ArgumentException($"A ULID needs {ByteLength} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>The 16 big-endian bytes.</summary>
    public byte[] ToByteArray()
    {
        var bytes = new byte[ByteLength];
        WriteBytes(bytes);
        return bytes;
    }

    /// <summary>Parses the 26-character form (either case).</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a ULID.</exception>
    public static Ulid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var ulid)
            ? ulid
            : throw new FormatException($"'{text}' is not a ULID (26 Crockford base32 characters, the first 0-7).");
    }

    /// <summary>Parses the 26-character form (either case); false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ulid ulid)
    {
        ulid = default;
        if (text.Length != StringLength)
        {
            return false;
        }

        UInt128 value = 0;
        for (var i = 0; i < StringLength; i++)
        {
            var digit = DecodeChar(text[i]);
            if (digit < 0 || (i == 0 && digit > 7))
            {
                return false;
            }

            value = (value << 5) | (uint)digit;
        }

        ulid = new Ulid((ulong)(value >> 64), (ulong)value);
        return true;
    }

    /// <summary>Writes the 26-character uppercase form.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        if (destination.Length < StringLength)
        {
            charsWritten = 0;
            return false;
        }

        var value = new UInt128(High, Low);
        for (var i = StringLength - 1; i >= 0; i--)
        {
            destination[i] = Alphabet[(int)(ulong)(value & 31)];
            value >>= 5;
        }

        charsWritten = StringLength;
        return true;
    }

    /// <inheritdoc />
    bool ISpanFormattable.TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => TryFormat(destination, out charsWritten);

    /// <summary>The 26-character uppercase Crockford base32 form.</summary>
    public override string ToString() => string.Create(StringLength, this, static (span, ulid) => ulid.TryFormat(span, out _));

    /// <inheritdoc />
    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool Equals(Ulid other) => High == other.High && Low == other.Low;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Ulid other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(High, Low);

    /// <inheritdoc />
    public int CompareTo(Ulid other)
    {
        var c = High.CompareTo(other.High);
        return c != 0 ? c : Low.CompareTo(other.Low);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(Ulid left, Ulid right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Ulid left, Ulid right) => !left.Equals(right);

    /// <summary>Order.</summary>
    public static bool operator <(Ulid left, Ulid right) => left.CompareTo(right) < 0;

    /// <summary>Order.</summary>
    public static bool operator >(Ulid left, Ulid right) => left.CompareTo(right) > 0;

    /// <summary>Order.</summary>
    public static bool operator <=(Ulid left, Ulid right) => left.CompareTo(right) <= 0;

    /// <summary>Order.</summary>
    public static bool operator >=(Ulid left, Ulid right) => left.CompareTo(right) >= 0;

    private static void ValidateTimestamp(long timestampMs)
    {
        if (timestampMs is < 0 or > MaxTimestampMs)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timestampMs), timestampMs, $"A ULID timestamp must be between 0 and {MaxTimestampMs} ms.");
        }
    }

    private static int DecodeChar(char c)
    {
        if (c is >= 'a' and <= 'z')
        {
            c = (char)(c - 'a' + 'A');
        }

        // Crockford base32 leaves out I, L, O and U; they are not accepted, so every ULID has one spelling per case.
        return c > 'Z' ? -1 : Alphabet.IndexOf(c, StringComparison.Ordinal);
    }
}
