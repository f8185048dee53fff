using System.Runtime.CompilerServices;
using SlateDb.Format;

namespace SlateDb.Memtable;

/// <summary>
/// How a <see cref="SkipList"/> node is laid out in its two <see cref="LongArena"/>s, and how links and packed fields
/// are encoded.
/// </summary>
/// <remarks>
/// A node is a <b>tower</b> in the tower arena and a <b>field record</b> in the field arena. The node's index is that
/// of its level-0 link; the slot before it holds the index of its field record:
/// <code>
///   towers: [fields index] [link 0] [link 1] … [link h-1]       fields: [prefix] [seq] [data] [lengths] [create ts] [expire ts] [meta]
///                          ^ node index
/// </code>
/// A link is <c>(successor index &lt;&lt; 32) | first four key bytes of the successor</c>; 0 is the null link (no
/// node has index 0). A search walks towers only, which are small and dense (about 24 bytes a node), and touches a
/// field record only when four key bytes tie. Fields are written once before the node is published; links are read
/// and written as whole longs.
/// </remarks>
internal static class SkipListLayout
{
    /// <summary>The number of slots in a field record.</summary>
    public const int FieldCount = 7;

    /// <summary>The first 8 key bytes, big-endian, zero-padded.</summary>
    public const int Prefix = 0;

    /// <summary>The sequence number.</summary>
    public const int Seq = 1;

    /// <summary>Arena chunk (high 32 bits) and offset (low 32 bits) of the key, which the value follows.</summary>
    public const int Data = 2;

    /// <summary>Key length (high 32 bits) and value length (low 32 bits).</summary>
    public const int Lengths = 3;

    /// <summary>The creation time.</summary>
    public const int CreateTs = 4;

    /// <summary>The expiry time.</summary>
    public const int ExpireTs = 5;

    /// <summary>Row kind (low byte) and height (next byte).</summary>
    public const int Meta = 6;

    /// <summary>The tower slot of the link of <paramref name="node"/> at <paramref name="level"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LinkSlot(int node, int level) => node + level;

    /// <summary>The tower slot holding the index of the field record of <paramref name="node"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FieldsSlot(int node) => node - 1;

    /// <summary>A link to <paramref name="node"/>, whose key starts with <paramref name="keyPrefix"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MakeLink(int node, ulong keyPrefix) => ((long)node << 32) | Prefix32(keyPrefix);

    /// <summary>The node a link points at; 0 for the null link.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LinkTarget(long link) => (int)(link >>> 32);

    /// <summary>The first four key bytes (big-endian) of the node a link points at.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LinkPrefix(long link) => (uint)link;

    /// <summary>The first four bytes of a key from its 8-byte prefix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Prefix32(ulong keyPrefix) => (uint)(keyPrefix >> 32);

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
