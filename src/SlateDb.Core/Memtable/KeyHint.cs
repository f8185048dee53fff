using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SlateDb.Memtable;

/// <summary>
/// The common key prefix a <see cref="SkipList"/> settled on for its hinted links: a link to a node whose key starts
/// with <see cref="Prefix"/> carries the four key bytes after it instead of the first four.
/// </summary>
/// <remarks>
/// Set once by the writer (after a few inserts, from the longest prefix those keys share) and published before any
/// hinted link. Keys that do not start with the prefix get ordinary links, so the choice never needs undoing: a hinted
/// link tells a search the node's key starts with the prefix, which alone orders it against any key that does not.
/// </remarks>
internal sealed class KeyHint
{
    /// <summary>The value a search key gets when it sorts before every key with the prefix.</summary>
    public const ulong Before = 0;

    /// <summary>The value a search key gets when it sorts after every key with the prefix.</summary>
    public const ulong After = (ulong)uint.MaxValue + 2;

    private readonly byte[] _prefix;

    /// <summary>Creates a hint over a copy of <paramref name="prefix"/>.</summary>
    public KeyHint(ReadOnlySpan<byte> prefix) => _prefix = prefix.ToArray();

    /// <summary>The shared key prefix.</summary>
    public ReadOnlySpan<byte> Prefix => _prefix;

    /// <summary>
    /// Whether links to a node with <paramref name="key"/> may be hinted, and the hint: the four key bytes after the
    /// prefix, big-endian, zero-padded.
    /// </summary>
    public bool TryGetNodeHint(ReadOnlySpan<byte> key, out uint hint)
    {
        if (key.Length >= _prefix.Length && key[.._prefix.Length].SequenceEqual(_prefix))
        {
            hint = Bytes32(key[_prefix.Length..]);
            return true;
        }

        hint = 0;
        return false;
    }

    /// <summary>
    /// The value a search for <paramref name="key"/> compares against a hinted link's hint plus one:
    /// <see cref="Before"/> or <see cref="After"/> when the key does not start with the prefix (never a tie), else its
    /// four bytes after the prefix plus one.
    /// </summary>
    public ulong SearchValue(ReadOnlySpan<byte> key)
    {
        var length = Math.Min(key.Length, _prefix.Length);
        var c = key[..length].SequenceCompareTo(_prefix);
        if (c == 0 && key.Length < _prefix.Length)
        {
            c = -1;
        }

        return c < 0 ? Before : c > 0 ? After : (ulong)Bytes32(key[_prefix.Length..]) + 1;
    }

    /// <summary>The first four bytes of <paramref name="bytes"/>, big-endian, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Bytes32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= sizeof(uint))
        {
            return BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }

        uint value = 0;
        for (var i = 0; i < sizeof(uint); i++)
        {
            value = (value << 8) | (i < bytes.Length ? bytes[i] : 0u);
        }

        return value;
    }
}
