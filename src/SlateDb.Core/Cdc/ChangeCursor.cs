using System.Buffers.Binary;
using System.Globalization;

namespace SlateDb;

/// <summary>
/// A position in the change feed: every WAL object up to <see cref="WalId"/> and every row with a sequence number up to
/// <see cref="Seq"/> were delivered. A consumer persists the cursor of each batch it has applied (<see cref="ChangeBatch.Cursor"/>,
/// as text with <see cref="ToString"/> or as bytes with <see cref="ToBytes"/>) and resumes from it after a restart.
/// </summary>
/// <remarks>
/// <para>
/// Resuming from a cursor reads WAL object <c>WalId + 1</c> and the ones after it, and skips their rows with a sequence
/// number at or below <see cref="Seq"/>. A cursor within a WAL object (see <see cref="ChangeBatch.CursorAfter"/>) therefore
/// names the object before it and the last sequence number applied.
/// </para>
/// <para><see cref="Beginning"/> (0, 0) starts at the oldest WAL object present in the store.</para>
/// </remarks>
/// <param name="WalId">The last WAL object delivered whole (0 before the first).</param>
/// <param name="Seq">The highest sequence number delivered (0 before the first row).</param>
public readonly record struct ChangeCursor(ulong WalId, ulong Seq)
{
    /// <summary>The size of <see cref="ToBytes"/>: a format byte, then the WAL id and the sequence number (u64 little-endian each).</summary>
    public const int ByteLength = 1 + sizeof(ulong) + sizeof(ulong);

    private const byte BytesVersion = 1;

    /// <summary>The start of the feed: the oldest WAL object present.</summary>
    public static ChangeCursor Beginning => default;

    /// <summary>Whether this is <see cref="Beginning"/>.</summary>
    public bool IsBeginning => WalId == 0 && Seq == 0;

    /// <summary>Parses the text <see cref="ToString"/> makes: <c>{WalId}:{Seq}</c>, two unsigned decimal numbers.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a cursor; the message quotes it.</exception>
    public static ChangeCursor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var cursor)
            ? cursor
            : throw new FormatException($"'{text}' is not a change cursor: expected '<WAL id>:<sequence number>', two unsigned decimal numbers (such as '42:1017').");
    }

    /// <summary>Parses <c>{WalId}:{Seq}</c>; false when <paramref name="text"/> is anything else.</summary>
    public static bool TryParse(string? text, out ChangeCursor cursor)
    {
        cursor = default;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon < 0
            || !ulong.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var walId)
            || !ulong.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        cursor = new ChangeCursor(walId, seq);
        return true;
    }

    /// <summary>Reads the bytes <see cref="ToBytes"/> makes.</summary>
    /// <exception cref="FormatException">The bytes are not <see cref="ByteLength"/> long or have an unknown format byte.</exception>
    public static ChangeCursor FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new FormatException($"A change cursor is {ByteLength} bytes; these are {bytes.Length}.");
        }

        if (bytes[0] != BytesVersion)
        {
            throw new FormatException($"The change cursor's format byte is {bytes[0]}; this build reads format {BytesVersion}.");
        }

        return new ChangeCursor(BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[(1 + sizeof(ulong))..]));
    }

    /// <summary>The cursor as <see cref="ByteLength"/> bytes (<see cref="FromBytes"/> reads them back).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        bytes[0] = BytesVersion;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), WalId);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1 + sizeof(ulong)), Seq);
        return bytes;
    }

    /// <summary>The cursor as text: <c>{WalId}:{Seq}</c> (<see cref="Parse"/> reads it back).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{WalId}:{Seq}");
}
