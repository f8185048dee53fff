using System.Runtime.InteropServices;
using SlateDb.Format;

namespace SlateDb.Memtable;

/// <summary>
/// One skip-list node: a row's fixed-size fields, where its key and value bytes live in the <see cref="ByteArena"/>,
/// and its level-0 link. Nodes live in chunked arrays of this struct and are named by an int index; 0 is the head
/// sentinel and doubles as "no node" in links. Links above level 0 live in the tower pool.
/// </summary>
/// <remarks>
/// Every field except <see cref="Next0"/> is written once, before the node is published, and never changes.
/// <see cref="Next0"/> is written with <see cref="Volatile.Write(ref int, int)"/> and read with
/// <see cref="Volatile.Read(ref readonly int)"/>.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct SkipListNode
{
    /// <summary>The first 8 key bytes, big-endian, zero-padded: decides most comparisons without touching the arena.</summary>
    public ulong KeyPrefix;

    /// <summary>The row's sequence number.</summary>
    public ulong Seq;

    /// <summary>The row's creation time (ms since the Unix epoch).</summary>
    public long CreateTs;

    /// <summary>The row's expiry time, or <see cref="Row.NoExpiry"/>.</summary>
    public long ExpireTs;

    /// <summary>The next node at level 0 (0: none).</summary>
    public int Next0;

    /// <summary>The arena chunk holding the key followed by the value.</summary>
    public int DataChunk;

    /// <summary>Where the key starts in that chunk; the value follows it.</summary>
    public int DataOffset;

    /// <summary>The key length.</summary>
    public int KeyLength;

    /// <summary>The value length.</summary>
    public int ValueLength;

    /// <summary>Index in the tower pool of this node's link at level 1 (links for levels 1..Height-1 follow).</summary>
    public int TowerStart;

    /// <summary>The row kind.</summary>
    public RowKind Kind;

    /// <summary>How many levels the node is linked in (1..<see cref="SkipList.MaxHeight"/>).</summary>
    public byte Height;
}
