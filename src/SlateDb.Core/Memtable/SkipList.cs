using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using SlateDb.Format;

namespace SlateDb.Memtable;

/// <summary>
/// A skip list of rows ordered by (key ascending, seq descending), with one writer and any number of lock-free readers.
/// </summary>
/// <remarks>
/// <para><b>Storage.</b> Nothing here is a heap object per row. Key and value bytes live in a <see cref="ByteArena"/>;
/// the fixed fields of a row and its level-0 link live in a <see cref="SkipListNode"/> inside chunked struct arrays,
/// named by an int index (0 is the head sentinel and also means "no node"); links at levels 1 and above live in a
/// chunked int "tower pool". Node 0 has the full height.</para>
/// <para><b>Publication.</b> The writer fills in a node completely (fields, key and value bytes, and its own forward
/// links, copied from its predecessors) with plain writes, then links it into the list bottom-up, each link with a
/// <see cref="Volatile.Write(ref int, int)"/> (a release). A reader follows links with
/// <see cref="Volatile.Read(ref readonly int)"/> (an acquire), so any node it reaches is fully written, and the
/// chunk directories it reads afterwards already hold that node's chunks. Linking bottom-up means a node reachable
/// at level k is reachable at every level below k, so a search that descends never skips past a node that is
/// already linked at level 0. A reader therefore always sees a sorted list; it may or may not see a node being
/// linked while it runs.</para>
/// <para><b>Invariants.</b> Nodes are never unlinked, moved or rewritten after publication (only their links are
/// updated, to point at newly inserted nodes); the list holds at most one node per (key, seq); chunk directories
/// only grow and are republished with a release write.</para>
/// <para><b>Sequential inserts.</b> The writer remembers the predecessors of its last insert. When the next row
/// sorts directly after the last one inserted (nothing lies between them), those predecessors are exactly the new
/// row's predecessors, and the insert costs two comparisons instead of a search.</para>
/// </remarks>
internal sealed class SkipList
{
    /// <summary>The tallest a node can be. With a branching factor of 4, enough for far more rows than fit in memory.</summary>
    public const int MaxHeight = 20;

    private const int NodeShift = 12;
    private const int NodesPerChunk = 1 << NodeShift;
    private const int NodeMask = NodesPerChunk - 1;
    private const int TowerShift = 14;
    private const int TowerChunkSize = 1 << TowerShift;
    private const int TowerMask = TowerChunkSize - 1;
    private const int Head = 0;

    private readonly ByteArena _arena;
    private readonly int[] _splice = new int[MaxHeight];
    private SkipListNode[][] _nodeChunks;
    private int[][] _towerChunks;
    private int _nodeCount;
    private int _towerChunkCount;
    private int _towerOffset;
    private int _height = 1;
    private int _lastInserted;
    private ulong _randomState;

    /// <summary>Creates an empty list whose keys and values go into arena chunks of <paramref name="chunkSizeBytes"/>.</summary>
    public SkipList(int chunkSizeBytes, ulong seed = 0x9E3779B97F4A7C15UL)
    {
        _arena = new ByteArena(chunkSizeBytes);
        _nodeChunks = [new SkipListNode[NodesPerChunk]];
        _towerChunks = [new int[TowerChunkSize]];
        _towerChunkCount = 1;
        _randomState = seed == 0 ? 1 : seed;

        ref var head = ref _nodeChunks[0][0];
        head.Height = MaxHeight;
        head.TowerStart = AllocateTower(MaxHeight);
        _nodeCount = 1;
    }

    /// <summary>The bytes the list holds in memory: arena chunks, node chunks and tower chunks.</summary>
    public long AllocatedBytes
        => _arena.AllocatedBytes
           + ((long)((Volatile.Read(ref _nodeCount) + NodeMask) >> NodeShift) * NodesPerChunk * Unsafe.SizeOf<SkipListNode>())
           + ((long)Volatile.Read(ref _towerChunkCount) * TowerChunkSize * sizeof(int));

    /// <summary>
    /// Inserts a copy of <paramref name="row"/>. Writer only. Returns false, changing nothing, when a row with the
    /// same key and seq is already present.
    /// </summary>
    public bool Insert(in Row row)
    {
        var key = row.Key.Span;
        var prefix = KeyPrefix(key);
        Span<int> prev = stackalloc int[MaxHeight];
        var height = _height;

        if (!TryUseSplice(key, prefix, row.Seq, prev, height))
        {
            FindPredecessors(key, prefix, row.Seq, prev, height);
            var successor = Next(prev[0], 0);
            if (successor != Head && Compare(ref Node(successor), key, prefix, row.Seq) == 0)
            {
                return false;
            }
        }

        var nodeHeight = RandomHeight();
        if (nodeHeight > height)
        {
            prev[height..nodeHeight].Clear(); // the head (node 0) precedes everything at the new levels
        }

        var index = AllocateNode();
        ref var node = ref Node(index);
        var value = row.Value.Span;
        var data = _arena.Allocate(key.Length + value.Length, out node.DataChunk, out node.DataOffset);
        key.CopyTo(data);
        value.CopyTo(data[key.Length..]);
        node.KeyPrefix = prefix;
        node.Seq = row.Seq;
        node.CreateTs = row.CreateTs;
        node.ExpireTs = row.ExpireTs;
        node.KeyLength = key.Length;
        node.ValueLength = value.Length;
        node.Kind = row.Kind;
        node.Height = (byte)nodeHeight;
        node.TowerStart = nodeHeight > 1 ? AllocateTower(nodeHeight) : 0;
        for (var level = 0; level < nodeHeight; level++)
        {
            // Plain writes: the node is not reachable yet.
            LinkRef(ref node, level) = Next(prev[level], level);
        }

        // Publish bottom-up; each release write also publishes everything written above.
        for (var level = 0; level < nodeHeight; level++)
        {
            Volatile.Write(ref LinkRef(ref Node(prev[level]), level), index);
        }

        if (nodeHeight > height)
        {
            Volatile.Write(ref _height, nodeHeight);
        }

        prev[..Math.Max(height, nodeHeight)].CopyTo(_splice);
        _lastInserted = index;
        return true;
    }

    /// <summary>The first node at or after (key, seq) in list order; 0 when there is none.</summary>
    public int FindGreaterOrEqual(ReadOnlySpan<byte> key, ulong seq)
    {
        var prefix = KeyPrefix(key);
        var x = Head;
        for (var level = Volatile.Read(ref _height) - 1; level >= 0; level--)
        {
            while (true)
            {
                var next = Next(x, level);
                if (next == Head || Compare(ref Node(next), key, prefix, seq) >= 0)
                {
                    break;
                }

                x = next;
            }
        }

        return Next(x, 0);
    }

    /// <summary>The first node; 0 when the list is empty.</summary>
    public int First() => Next(Head, 0);

    /// <summary>The node after <paramref name="node"/>; 0 at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int node) => Volatile.Read(ref Node(node).Next0);

    /// <summary>The row stored at <paramref name="node"/>, its key and value pointing into the arena.</summary>
    public Row GetRow(int node)
    {
        ref var n = ref Node(node);
        var chunk = _arena.Chunk(n.DataChunk);
        return new Row(
            new ReadOnlyMemory<byte>(chunk, n.DataOffset, n.KeyLength),
            n.Seq,
            n.Kind,
            new ReadOnlyMemory<byte>(chunk, n.DataOffset + n.KeyLength, n.ValueLength),
            n.CreateTs,
            n.ExpireTs);
    }

    /// <summary>The key stored at <paramref name="node"/>.</summary>
    public ReadOnlySpan<byte> GetKey(int node)
    {
        ref var n = ref Node(node);
        return _arena.Chunk(n.DataChunk).AsSpan(n.DataOffset, n.KeyLength);
    }

    /// <summary>The first 8 bytes of <paramref name="key"/> as a big-endian number, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong KeyPrefix(ReadOnlySpan<byte> key)
    {
        if (key.Length >= sizeof(ulong))
        {
            return BinaryPrimitives.ReadUInt64BigEndian(key);
        }

        Span<byte> padded = stackalloc byte[sizeof(ulong)];
        padded.Clear();
        key.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    // (node key, node seq) compared with (key, seq): key ascending, then seq descending.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Compare(ref SkipListNode node, ReadOnlySpan<byte> key, ulong prefix, ulong seq)
    {
        if (node.KeyPrefix != prefix)
        {
            return node.KeyPrefix < prefix ? -1 : 1;
        }

        var nodeKey = _arena.Chunk(node.DataChunk).AsSpan(node.DataOffset, node.KeyLength);
        var c = nodeKey.Length >= sizeof(ulong) && key.Length >= sizeof(ulong)
            ? nodeKey[sizeof(ulong)..].SequenceCompareTo(key[sizeof(ulong)..])
            : nodeKey.SequenceCompareTo(key);
        if (c != 0)
        {
            return c;
        }

        return node.Seq == seq ? 0 : node.Seq > seq ? -1 : 1;
    }

    // Writer only: the predecessors of (key, seq) at every level below height.
    private void FindPredecessors(ReadOnlySpan<byte> key, ulong prefix, ulong seq, Span<int> prev, int height)
    {
        var x = Head;
        var lastCompared = Head;
        for (var level = height - 1; level >= 0; level--)
        {
            while (true)
            {
                var next = Next(x, level);

                // The node that stopped the walk one level up stops it here too; skip comparing it again.
                if (next == Head || next == lastCompared || Compare(ref Node(next), key, prefix, seq) >= 0)
                {
                    lastCompared = next;
                    break;
                }

                x = next;
            }

            prev[level] = x;
        }
    }

    // Writer only: when (key, seq) sorts right after the last inserted row, the saved predecessors still hold.
    private bool TryUseSplice(ReadOnlySpan<byte> key, ulong prefix, ulong seq, Span<int> prev, int height)
    {
        var last = _lastInserted;
        if (last == Head || Compare(ref Node(last), key, prefix, seq) >= 0)
        {
            return false;
        }

        var after = Next(last, 0);
        if (after != Head && Compare(ref Node(after), key, prefix, seq) <= 0)
        {
            return false;
        }

        // Nothing lies between the last row and this one: at the levels the last node has, it is the predecessor;
        // above, its own predecessors are.
        var lastHeight = Node(last).Height;
        for (var level = 0; level < height; level++)
        {
            prev[level] = level < lastHeight ? last : _splice[level];
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref SkipListNode Node(int index) => ref _nodeChunks[index >> NodeShift][index & NodeMask];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Next(int node, int level) => Volatile.Read(ref LinkRef(ref Node(node), level));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int LinkRef(ref SkipListNode node, int level)
    {
        if (level == 0)
        {
            return ref node.Next0;
        }

        var slot = node.TowerStart + level - 1;
        return ref _towerChunks[slot >> TowerShift][slot & TowerMask];
    }

    private int AllocateNode()
    {
        var index = _nodeCount;
        var chunk = index >> NodeShift;
        var chunks = ChunkDirectory.EnsureRoom(ref _nodeChunks, chunk);
        chunks[chunk] ??= new SkipListNode[NodesPerChunk];

        _nodeCount = index + 1;
        return index;
    }

    // Levels 1..height-1 of a node, contiguous inside one tower chunk.
    private int AllocateTower(int height)
    {
        var length = height - 1;
        if (_towerOffset + length > TowerChunkSize)
        {
            var chunks = ChunkDirectory.EnsureRoom(ref _towerChunks, _towerChunkCount);
            chunks[_towerChunkCount++] = new int[TowerChunkSize];
            _towerOffset = 0;
        }

        var start = ((_towerChunkCount - 1) << TowerShift) | _towerOffset;
        _towerOffset += length;
        return start;
    }

    // Height h with probability 3/4 * (1/4)^(h-1), from a xorshift64* stream (deterministic per seed).
    private int RandomHeight()
    {
        var x = _randomState;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _randomState = x;
        var bits = x * 0x2545F4914F6CDD1DUL;
        var height = 1 + (BitOperations.TrailingZeroCount(bits | (1UL << 62)) / 2);
        return Math.Min(height, MaxHeight);
    }
}
