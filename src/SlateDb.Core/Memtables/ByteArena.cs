namespace SlateDb.Memtables;

/// <summary>
/// Append-only byte storage in large chunks: the home of every key and value a memtable holds.
/// </summary>
/// <remarks>
/// One writer appends; any number of readers read bytes that were appended before the row pointing at them was
/// published. An allocation is addressed by (chunk index, offset). Bytes are never moved or reused while the arena
/// is referenced, so a <see cref="ReadOnlyMemory{T}"/> over them stays valid for the arena's lifetime.
/// <para>
/// Small allocations are bump-allocated in the current chunk; an allocation larger than a quarter of the chunk size
/// gets a chunk of its own so the current chunk's tail is not wasted. The chunk directory is replaced (copied and
/// republished) when it grows, so a reader always reads the <see cref="_chunks"/> field afresh after it has
/// observed, through a volatile read, the row that names a chunk.
/// </para>
/// </remarks>
internal sealed class ByteArena
{
    private byte[][] _chunks;
    private int _chunkCount;
    private int _current = -1;
    private int _offset;
    private long _allocatedBytes;

    /// <summary>Creates an arena whose regular chunks hold <paramref name="chunkSizeBytes"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The chunk size is below 64 bytes.</exception>
    public ByteArena(int chunkSizeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSizeBytes, 64);
        ChunkSizeBytes = chunkSizeBytes;
        _chunks = new byte[8][];
    }

    /// <summary>The size of a regular chunk.</summary>
    public int ChunkSizeBytes { get; }

    /// <summary>The bytes held by all chunks (what the arena costs in memory).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    /// <summary>
    /// Reserves <paramref name="length"/> contiguous bytes. Writer only. The caller fills the returned span before it
    /// publishes anything that points at it.
    /// </summary>
    public Span<byte> Allocate(int length, out int chunk, out int offset)
    {
        if (length > ChunkSizeBytes / 4)
        {
            // A dedicated chunk; the current chunk keeps serving small allocations.
            chunk = AddChunk(length);
            offset = 0;
            return _chunks[chunk].AsSpan(0, length);
        }

        if (_current < 0 || _offset + length > ChunkSizeBytes)
        {
            _current = AddChunk(ChunkSizeBytes);
            _offset = 0;
        }

        chunk = _current;
        offset = _offset;
        _offset += length;
        return _chunks[chunk].AsSpan(offset, length);
    }

    /// <summary>The chunk with index <paramref name="chunk"/> (reader-safe once a published row names it).</summary>
    public byte[] Chunk(int chunk) => _chunks[chunk];

    private int AddChunk(int size)
    {
        var chunks = ChunkDirectory.EnsureRoom(ref _chunks, _chunkCount);

        // The chunk reference is stored before any row naming it is published (with a release write), so a reader
        // that sees the row also sees the chunk.
        chunks[_chunkCount] = GC.AllocateUninitializedArray<byte>(size);
        Volatile.Write(ref _allocatedBytes, _allocatedBytes + size);
        return _chunkCount++;
    }
}
