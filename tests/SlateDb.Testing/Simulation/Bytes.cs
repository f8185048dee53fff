using System.Text;

namespace SlateDb.Testing.Simulation;

/// <summary>Ordinal comparison, equality and readable rendering of byte strings for models and failure messages.</summary>
public sealed class Bytes : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    /// <summary>The single instance: ordinal (unsigned lexicographic) order, the database's key order.</summary>
    public static Bytes Ordinal { get; } = new();

    private Bytes()
    {
    }

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = default(HashCode);
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }

    /// <summary>UTF-8 bytes of a string.</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>
    /// A short, readable form: printable ASCII in quotes, anything else in hex; long strings are cut and
    /// carry their length and a hash so two different long values never look alike.
    /// </summary>
    public static string Show(ReadOnlySpan<byte> bytes)
    {
        const int MaxShown = 40;
        var printable = true;
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                printable = false;
                break;
            }
        }

        var shown = bytes.Length > MaxShown ? bytes[..MaxShown] : bytes;
        var text = printable ? $"\"{Encoding.ASCII.GetString(shown)}\"" : $"0x{Convert.ToHexString(shown)}";
        if (bytes.Length <= MaxShown)
        {
            return text;
        }

        var hash = default(HashCode);
        hash.AddBytes(bytes);
        return $"{text}...({bytes.Length} bytes, hash {hash.ToHashCode():x8})";
    }

    /// <summary><see cref="Show(ReadOnlySpan{byte})"/> for an optional value: null shows as "(absent)".</summary>
    public static string Show(byte[]? bytes) => bytes is null ? "(absent)" : Show(bytes.AsSpan());
}
