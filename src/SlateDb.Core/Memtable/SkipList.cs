using System.Numerics;
using System.Runtime.CompilerServices;
using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Memtable;

/// <summary>
/// A skip list of rows ordered by (key ascending, seq descending), with one writer and any number of lock-free readers.
/// </summary>
/// <remarks>
/// <para><b>Storage.</b> Nothing here is a heap object per row. Key and value bytes live in a <see cref="ByteArena"/>.
/// A node is a tower of links in one <see cref="LongArena"/> and a record of fixed fields in another
/// (<see cref="SkipListLayout"/>), named by an int index; index 0 is never a node and means "no node". Searches walk
/// the towers, which are small and dense, so the part of the list every search touches stays in cache longer.</para>
/// <para><b>Fat links.</b> A link is one long: the successor's index and the first four bytes of its key. A search
/// decides most steps from the link alone and reads a node's fields only when those four bytes tie.</para>
/// <para><b>Publication.</b> The writer fills in a node completely (fields, key and value bytes, its own links copied
/// from its predecessors) with plain writes, then links it in bottom-up, each link with a
/// <see cref="Volatile.Write(ref long, long)"/> (a release). Readers follow links with
/// <see cref="Volatile.Read(ref readonly long)"/> (an acquire), so any node they reach is fully written, and the chunk
/// directories they read afterwards already hold its chunks. A link is a single 64-bit word, so a reader never sees an
/// index paired with another node's key bytes. Linking bottom-up means a node linked at level k is linked at every
/// level below, so a descending search never steps over a node already at level 0. A reader thus always sees a sorted
/// list; it may or may not see a node being linked while it runs.</para>
/// <para><b>Invariants.</b> Nodes are never unlinked, moved or rewritten after publication (only their links change,
/// to point at newly inserted nodes); at most one node per (key, seq); chunk directories only grow and are
/// republished with a release write.</para>
/// <para><b>Sequential inserts.</b> The writer remembers the predecessors of its last insert. When the next row sorts
/// directly after the last one inserted (nothing lies between them), those predecessors are the new row's
/// predecessors, and the insert costs two comparisons instead of a search.</para>
/// </remarks>
internal sealed class SkipList
{
    /// <summary>The tallest a node can be. With a branching factor of 2, enough for hundreds of millions of rows.</summary>
    public const int MaxHeight = 28;

    private readonly ByteArena _arena;
    private readonly int[] _splice = new int[MaxHeight];
    private readonly int _head;
    private LongArena _towers;
    private LongArena _fields;
    private int _height = 1;
    private int _lastInserted;
    private ulong _randomState;

    /// <summary>Creates an empty list whose keys and values go into arena chunks of <paramref name="chunkSizeBytes"/>.</summary>
    public SkipList(int chunkSizeBytes, ulong seed = 0x9E3779B97F4A7C15UL)
    {
        _arena = new ByteArena(chunkSizeBytes);
        _towers = new LongArena();
        _fields = new LongArena();
        _randomState = seed == 0 ? 1 : seed;

        // The head: full height, no key; its links start out null.
        _head = AllocateNode(MaxHeight, out var fields);
        _fields.Slot(fields + SkipListLayout.Meta) = SkipListLayout.PackMeta(RowKind.Put, MaxHeight);
        Array.Fill(_splice, _head);
    }

    /// <summary>The bytes the list holds in memory: arena chunks and node chunks.</summary>
    public long AllocatedBytes => _arena.AllocatedBytes + _towers.AllocatedBytes + _fields.AllocatedBytes;

    /// <summary>
    /// Inserts a copy of <paramref name="row"/>. Writer only. Returns false, changing nothing, when a row with the
    /// same key and seq is already present.
    /// </summary>
    public bool Insert(in Row row)
    {
        var key = row.Key.Span;
        var prefix = RowOrder.KeyPrefix(key);
        Span<int> prev = stackalloc int[MaxHeight];
        var height = _height;

        if (!TryUseSplice(key, prefix, row.Seq, prev, height))
        {
            FindPredecessors(key, prefix, row.Seq, prev, height);
            var successor = Link(prev[0], 0);
            if (successor != 0
                && SkipListLayout.LinkPrefix(successor) == SkipListLayout.Prefix32(prefix)
                && Compare(SkipListLayout.LinkTarget(successor), key, prefix, row.Seq) == 0)
            {
                return false;
            }
        }

        var nodeHeight = RandomHeight();
        for (var level = height; level < nodeHeight; level++)
        {
            prev[level] = _head;
        }

        var value = row.Value.Span;
        var data = _arena.Allocate(key.Length + value.Length, out var dataChunk, out var dataOffset);
        key.CopyTo(data);
        value.CopyTo(data[key.Length..]);

        var node = AllocateNode(nodeHeight, out var fields);
        var f = _fields.Record(fields, SkipListLayout.FieldCount);
        f[SkipListLayout.Prefix] = (long)prefix;
        f[SkipListLayout.Seq] = (long)row.Seq;
        f[SkipListLayout.Data] = SkipListLayout.Pack(dataChunk, dataOffset);
        f[SkipListLayout.Lengths] = SkipListLayout.Pack(key.Length, value.Length);
        f[SkipListLayout.CreateTs] = row.CreateTs;
        f[SkipListLayout.ExpireTs] = row.ExpireTs;
        f[SkipListLayout.Meta] = SkipListLayout.PackMeta(row.Kind, nodeHeight);
        for (var level = 0; level < nodeHeight; level++)
        {
            // Plain writes: the node is not reachable yet.
            _towers.Slot(SkipListLayout.LinkSlot(node, level)) = Link(prev[level], level);
        }

        // Publish bottom-up; each release write also publishes everything written before it.
        var link = SkipListLayout.MakeLink(node, prefix);
        for (var level = 0; level < nodeHeight; level++)
        {
            Volatile.Write(ref _towers.Slot(SkipListLayout.LinkSlot(prev[level], level)), link);
        }

        if (nodeHeight > height)
        {
            Volatile.Write(ref _height, nodeHeight);
        }

        prev[..Math.Max(height, nodeHeight)].CopyTo(_splice);
        _lastInserted = node;
        return true;
    }

    /// <summary>The first node at or after (key, seq) in list order; 0 when there is none.</summary>
    public int FindGreaterOrEqual(ReadOnlySpan<byte> key, ulong seq)
    {
        var prefix = RowOrder.KeyPrefix(key);
        var x = _head;
        for (var level = Volatile.Read(ref _height) - 1; level > 0; level--)
        {
            x = WalkLevel(x, level, key, prefix, seq, out _);
        }

        // The successor the walk compared, not a re-read of x's link: the writer may have linked a smaller node
        // after x in between, which a re-read would return in place of the answer.
        WalkLevel(x, 0, key, prefix, seq, out var successor);
        return successor;
    }

    /// <summary>The first node; 0 when the list is empty.</summary>
    public int First() => Next(_head);

    /// <summary>The node after <paramref name="node"/>; 0 at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int node) => SkipListLayout.LinkTarget(Link(node, 0));

    /// <summary>The row stored at <paramref name="node"/>, its key and value pointing into the arena.</summary>
    public Row GetRow(int node)
    {
        var f = Fields(node);
        var data = f[SkipListLayout.Data];
        var lengths = f[SkipListLayout.Lengths];
        var chunk = _arena.Chunk(SkipListLayout.High(data));
        var offset = SkipListLayout.Low(data);
        var keyLength = SkipListLayout.High(lengths);
        return new Row(
            new ReadOnlyMemory<byte>(chunk, offset, keyLength),
            (ulong)f[SkipListLayout.Seq],
            SkipListLayout.MetaKind(f[SkipListLayout.Meta]),
            new ReadOnlyMemory<byte>(chunk, offset + keyLength, SkipListLayout.Low(lengths)),
            f[SkipListLayout.CreateTs],
            f[SkipListLayout.ExpireTs]);
    }

    /// <summary>The key stored at <paramref name="node"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetKey(int node) => KeyOf(Fields(node));

    // Moves right along `level` from x while the next node sorts before (key, seq); returns the last node before it.
    // `successor` is the node after the returned one as this walk saw it (0 at the end).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int WalkLevel(int x, int level, ReadOnlySpan<byte> key, ulong prefix, ulong seq, out int successor)
    {
        var prefix32 = SkipListLayout.Prefix32(prefix);
        while (true)
        {
            var link = Link(x, level);
            successor = SkipListLayout.LinkTarget(link);
            if (link == 0)
            {
                return x;
            }

            // Decide from the four key bytes carried by the link; load the node only on a tie.
            var linkPrefix = SkipListLayout.LinkPrefix(link);
            if (linkPrefix > prefix32)
            {
                return x;
            }

            if (linkPrefix == prefix32 && Compare(successor, key, prefix, seq) >= 0)
            {
                return x;
            }

            x = successor;
        }
    }

    // (node key, node seq) compared with (key, seq): key ascending, then seq descending.
    private int Compare(int node, ReadOnlySpan<byte> key, ulong prefix, ulong seq)
    {
        var f = Fields(node);
        var nodePrefix = (ulong)f[SkipListLayout.Prefix];
        if (nodePrefix != prefix)
        {
            return nodePrefix < prefix ? -1 : 1;
        }

        var nodeKey = KeyOf(f);
        var c = nodeKey.Length >= sizeof(ulong) && key.Length >= sizeof(ulong)
            ? nodeKey[sizeof(ulong)..].SequenceCompareTo(key[sizeof(ulong)..])
            : nodeKey.SequenceCompareTo(key);
        if (c != 0)
        {
            return c;
        }

        var nodeSeq = (ulong)f[SkipListLayout.Seq];
        return nodeSeq == seq ? 0 : nodeSeq > seq ? -1 : 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> KeyOf(Span<long> fields)
    {
        var data = fields[SkipListLayout.Data];
        var keyLength = SkipListLayout.High(fields[SkipListLayout.Lengths]);
        return _arena.Chunk(SkipListLayout.High(data)).AsSpan(SkipListLayout.Low(data), keyLength);
    }

    // Writer only: the predecessors of (key, seq) at every level below height.
    private void FindPredecessors(ReadOnlySpan<byte> key, ulong prefix, ulong seq, Span<int> prev, int height)
    {
        var x = _head;
        for (var level = height - 1; level >= 0; level--)
        {
            x = WalkLevel(x, level, key, prefix, seq, out _);
            prev[level] = x;
        }
    }

    // Writer only: when (key, seq) sorts right after the last inserted row, the saved predecessors still hold.
    private bool TryUseSplice(ReadOnlySpan<byte> key, ulong prefix, ulong seq, Span<int> prev, int height)
    {
        var last = _lastInserted;
        if (last == 0 || Compare(last, key, prefix, seq) >= 0)
        {
            return false;
        }

        var after = Link(last, 0);
        if (after != 0)
        {
            var afterPrefix = SkipListLayout.LinkPrefix(after);
            var prefix32 = SkipListLayout.Prefix32(prefix);
            if (afterPrefix < prefix32 || (afterPrefix == prefix32 && Compare(SkipListLayout.LinkTarget(after), key, prefix, seq) <= 0))
            {
                return false;
            }
        }

        // Nothing lies between the last row and this one: at the levels the last node has, it is the predecessor;
        // above, its own predecessors are.
        var lastHeight = SkipListLayout.MetaHeight(Fields(last)[SkipListLayout.Meta]);
        for (var level = 0; level < height; level++)
        {
            prev[level] = level < lastHeight ? last : _splice[level];
        }

        return true;
    }

    // The field record of `node`.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<long> Fields(int node) => _fields.Record((int)_towers.Slot(SkipListLayout.FieldsSlot(node)), SkipListLayout.FieldCount);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Link(int node, int level) => Volatile.Read(ref _towers.Slot(SkipListLayout.LinkSlot(node, level)));

    // Reserves a tower of `height` links and a field record; returns the node index.
    private int AllocateNode(int height, out int fields)
    {
        fields = _fields.Allocate(SkipListLayout.FieldCount);
        var tower = _towers.Allocate(height + 1);
        _towers.Slot(tower) = fields;
        return tower + 1;
    }

    // Height h with probability (1/2)^h, from a xorshift64* stream (deterministic per seed).
    private int RandomHeight()
    {
        var x = _randomState;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _randomState = x;
        var bits = x * 0x2545F4914F6CDD1DUL;
        return Math.Min(1 + BitOperations.TrailingZeroCount(bits | (1UL << 63)), MaxHeight);
    }
}
