using System.Runtime.CompilerServices;

namespace SlateDb.Memtable;

/// <summary>
/// Append-only storage of longs in 512 KiB chunks, addressed by an int index: where a <see cref="SkipList"/> keeps
/// its link towers and its row fields. One writer allocates; readers read slots that a published link led them to.
/// </summary>
/// <remarks>
/// A mutable struct held in a field of its owner, so a slot access costs no extra indirection; never copy it.
/// Index = chunk &lt;&lt; 16 | offset; an allocation never straddles chunks. The chunk directory is republished with a
/// release write when it grows, and readers read it afresh after the acquire that led them to a slot.
/// </remarks>
internal struct LongArena
{
    /// <summary>log2 of the longs per chunk.</summary>
    public const int ChunkShift = 16;

    private const int ChunkLongs = 1 << ChunkShift;
    private const int ChunkMask = ChunkLongs - 1;
    private const int MaxChunks = int.MaxValue >> ChunkShift;

    private long[][] _chunks;
    private int _chunkCount;
    private int _offset;

    /// <summary>Creates an arena with one chunk.</summary>
    public LongArena()
    {
        _chunks = [new long[ChunkLongs]];
        _chunkCount = 1;
    }

    /// <summary>The bytes the chunks hold.</summary>
    public long AllocatedBytes => (long)Volatile.Read(ref _chunkCount) * ChunkLongs * sizeof(long);

    /// <summary>The slot at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref long Slot(int index) => ref _chunks[index >> ChunkShift][index & ChunkMask];

    /// <summary>The <paramref name="length"/> slots from <paramref name="index"/> (one allocation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Span<long> Record(int index, int length) => _chunks[index >> ChunkShift].AsSpan(index & ChunkMask, length);

    /// <summary>
    /// Reserves <paramref name="length"/> contiguous slots (at most a chunk) and returns the index of the first.
    /// Writer only; the slots are zero.
    /// </summary>
    /// <exception cref="InvalidOperationException">The arena reached its capacity (2^31 longs).</exception>
    public int Allocate(int length)
    {
        if (_offset + length > ChunkLongs)
        {
            if (_chunkCount == MaxChunks)
            {
                throw new InvalidOperationException(
                    $"The memtable is full: its node storage reached {(long)MaxChunks * ChunkLongs * sizeof(long)} bytes.");
            }

            var chunks = ChunkDirectory.EnsureRoom(ref _chunks, _chunkCount);
            chunks[_chunkCount] = new long[ChunkLongs];
            Volatile.Write(ref _chunkCount, _chunkCount + 1);
            _offset = 0;
        }

        var index = ((_chunkCount - 1) << ChunkShift) | _offset;
        _offset += length;
        return index;
    }
}
