using System.Runtime.CompilerServices;
using SlateDb.Format;

namespace SlateDb.Memtable;

/// <summary>
/// How a <see cref="SkipList"/> node is laid out in its two <see cref="LongArena"/>s, and how links and packed fields
/// are encoded.
/// </summary>
/// <remarks>
/// A node is a <b>tower</b> in the tower arena and a <b>field record</b> in the field arena. The node's index is that
/// of its level-0 link; the three slots before it hold the first 16 key bytes and the key length with the index of
/// its field record:
/// <code>
///   towers: [key 0..8] [key 8..16] [key length | fields index] [link 0] [link 1] … [link h-1]
///                                                              ^ node index
///   fields: [seq] [data] [lengths] [create ts] [expire ts] [meta]
/// </code>
/// A link is <c>(hinted &lt;&lt; 63) | (successor index &lt;&lt; 32) | four key bytes of the successor</c>; 0 is the
/// null link (no node has index 0). The key bytes are the first four, or, in a hinted link, the four after the list's
/// <see cref="KeyHint"/> prefix, which the successor's key starts with. A search walks towers only and decides most steps from the link alone; when four key bytes
/// tie, the successor's tower (which the search would read next anyway, one cache miss) carries 16 key bytes and the
/// key length, which decide any two keys of at most 16 bytes. Only longer keys that tie there, and equal keys (for
/// the seq), touch the key bytes or the field record. Everything but links is written once before the node is
/// published; links are read and written as whole longs.
/// </remarks>
internal static class SkipListLayout
{
    /// <summary>The number of slots in a field record.</summary>
    public const int FieldCount = 6;

    /// <summary>The number of slots before a tower's first link: two key-byte slots and the fields slot.</summary>
    public const int TowerHeader = 3;

    /// <summary>The number of key bytes a tower carries.</summary>
    public const int TowerKeyBytes = 16;

    /// <summary>The sequence number.</summary>
    public const int Seq = 0;

    /// <summary>Arena chunk (high 32 bits) and offset (low 32 bits) of the key, which the value follows.</summary>
    public const int Data = 1;

    /// <summary>Key length (high 32 bits) and value length (low 32 bits).</summary>
    public const int Lengths = 2;

    /// <summary>The creation time.</summary>
    public const int CreateTs = 3;

    /// <summary>The expiry time.</summary>
    public const int ExpireTs = 4;

    /// <summary>Row kind (low byte) and height (next byte).</summary>
    public const int Meta = 5;

    /// <summary>The tower slot of the link of <paramref name="node"/> at <paramref name="level"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LinkSlot(int node, int level) => node + level;

    /// <summary>The tower slot holding the key length (high 32 bits) and the field record index (low 32 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FieldsSlot(int node) => node - 1;

    /// <summary>The tower slot holding key bytes 0..8 (big-endian, zero-padded); key bytes 8..16 follow it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int KeySlot(int node) => node - TowerHeader;

    /// <summary>A link to <paramref name="node"/> carrying four of its key bytes; hinted links have the top bit set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MakeLink(int node, uint keyBytes, bool hinted) =>
        (hinted ? long.MinValue : 0) | ((long)node << 32) | keyBytes;

    /// <summary>Whether a link carries the key bytes after the <see cref="KeyHint"/> prefix (the link is negative).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsHinted(long link) => link < 0;

    /// <summary>The node a link points at; 0 for the null link.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LinkTarget(long link) => (int)(link >>> 32) & int.MaxValue;

    /// <summary>The four key bytes (big-endian) a link carries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LinkPrefix(long link) => (uint)link;

    /// <summary>Two non-negative ints in one long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Pack(int high, int low) => ((long)high << 32) | (uint)low;

    /// <summary>The high int of a packed long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int High(long packed) => (int)(packed >>> 32);

    /// <summary>The low int of a packed long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Low(long packed) => (int)packed;

    /// <summary>Row kind and height in one long.</summary>
    public static long PackMeta(RowKind kind, int height) => (byte)kind | ((long)height << 8);

    /// <summary>The row kind of a meta field.</summary>
    public static RowKind MetaKind(long meta) => (RowKind)(byte)meta;

    /// <summary>The height of a meta field.</summary>
    public static int MetaHeight(long meta) => (int)(meta >> 8) & 0xFF;
}
