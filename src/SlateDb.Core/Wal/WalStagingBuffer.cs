using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SlateDb.Format;
using SlateDb.Infrastructure;

namespace SlateDb.Wal;

// The staging buffer holds the rows of one WAL generation as plain copies, so the write loop's cost per row is one
// header store and two memcpys; the SST encoding happens later, on the WAL writer's task (see WalWriter).
//
// Layout: a list of chunks rented from an ArrayPool. Each row is stored whole in one chunk as
//   header (seq, create ts, expire ts, value length, key length, kind: 32 bytes) | key | value
// A row that does not fit the rest of the current chunk starts a new one; chunks grow from InitialChunkBytes to
// MaxChunkBytes, and a row larger than that gets a chunk of its own size. Rows are read back in the order appended.
//
// Ownership: the buffer owns its chunks until Dispose, which returns each of them to the pool exactly once (a second
// Dispose is a no-op). Rows handed out by the reader are views into the chunks, valid until Dispose.
// Not thread-safe: one thread appends (the write loop, under its lock), then one thread reads and disposes it.

/// <summary>The rows of one WAL generation, copied as they arrive and encoded into an SST when stored.</summary>
internal sealed class WalStagingBuffer : IDisposable
{
    /// <summary>The size of the first chunk.</summary>
    public const int InitialChunkBytes = 64 * 1024;

    /// <summary>Chunks double up to this size (a larger row still gets a chunk of its own).</summary>
    public const int MaxChunkBytes = 1024 * 1024;

    private static readonly int HeaderLength = Unsafe.SizeOf<RowHeader>();

    private readonly ArrayPool<byte> _pool;
    private readonly List<byte[]> _chunks = [];
    private readonly List<int> _chunkLengths = [];
    private byte[] _current = [];
    private int _position;
    private long _rows;
    private long _payloadBytes;
    private bool _disposed;

    /// <summary>Creates an empty buffer; chunks are rented from <paramref name="pool"/> (the shared pool by default).</summary>
    public WalStagingBuffer(ArrayPool<byte>? pool = null)
    {
        _pool = pool ?? ArrayPool<byte>.Shared;
    }

    /// <summary>How many rows the buffer holds.</summary>
    public long RowCount => _rows;

    /// <summary>The key and value bytes of every row.</summary>
    public long PayloadBytes => _payloadBytes;

    /// <summary>How many chunks the buffer has rented (and will return on <see cref="Dispose"/>).</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>Copies <paramref name="row"/> into the buffer (validated first, so a bad row leaves no trace).</summary>
    /// <exception cref="ArgumentException">The key or value breaks a limit, or the row's kind or value is invalid.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Append(in Row row)
    {
        var key = row.Key.Span;
        var value = row.Value.Span;
        if ((uint)(key.Length - 1) >= Limits.MaxKeyLength || (uint)value.Length > Limits.MaxValueLength
            || row.Kind > RowKind.RangeDelete || (row.Kind == RowKind.Delete && !value.IsEmpty))
        {
            ThrowInvalidRow(row);
        }

        // A disposed buffer has no room, so the check for it waits for the slow path.
        var length = HeaderLength + key.Length + value.Length;
        if (_current.Length - _position < length)
        {
            NewChunk(length);
        }

        var span = _current.AsSpan(_position, length);
        var header = new RowHeader(row.Seq, row.CreateTs, row.ExpireTs, value.Length, (ushort)key.Length, (byte)row.Kind);
        MemoryMarshal.Write(span, in header);
        key.CopyTo(span[HeaderLength..]);
        value.CopyTo(span[(HeaderLength + key.Length)..]);
        _position += length;
        _rows++;
        _payloadBytes += key.Length + value.Length;
    }

    /// <summary>Adds every row, in the order appended, to <paramref name="writer"/>.</summary>
    public void WriteTo(SstWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var reader = GetReader();
        while (reader.TryRead(out var row))
        {
            writer.Add(row);
        }
    }

    /// <summary>A reader over the rows, in the order appended (valid until <see cref="Dispose"/>).</summary>
    public Reader GetReader()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SyncCurrentLength();
        return new Reader(this);
    }

    /// <summary>Returns every chunk to the pool; the buffer is unusable afterwards.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var chunk in _chunks)
        {
            _pool.Return(chunk);
        }

        _chunks.Clear();
        _chunkLengths.Clear();
        _current = [];
        _position = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NewChunk(int rowLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SyncCurrentLength();
        var size = _chunks.Count == 0 ? InitialChunkBytes : Math.Min(MaxChunkBytes, _current.Length * 2);
        _current = _pool.Rent(Math.Max(size, rowLength));
        _chunks.Add(_current);
        _chunkLengths.Add(0);
        _position = 0;
    }

    // The used length of the current (last) chunk is kept in _position while appending and copied here when needed.
    private void SyncCurrentLength()
    {
        if (_chunks.Count > 0)
        {
            _chunkLengths[^1] = _position;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidRow(in Row row)
    {
        Limits.ValidateKey(row.Key.Span, nameof(row));
        Limits.ValidateValue(row.Value.Span, nameof(row));
        throw new ArgumentException(
            $"Row {SstFormat.FormatKey(row.Key.Span)}@{row.Seq}: kind {row.Kind} with a {row.Value.Length}-byte value is not a valid row (tombstones carry no value).",
            nameof(row));
    }

    /// <summary>Reads the rows back in the order appended; each row is a view into the buffer's chunks.</summary>
    public struct Reader
    {
        private readonly WalStagingBuffer _buffer;
        private byte[] _array = [];
        private int _length;
        private int _chunk = -1;
        private int _position;

        internal Reader(WalStagingBuffer buffer)
        {
            _buffer = buffer;
        }

        /// <summary>The next row, or false after the last one.</summary>
        public bool TryRead(out Row row)
        {
            while (_position >= _length)
            {
                if (++_chunk >= _buffer._chunks.Count)
                {
                    row = default;
                    return false;
                }

                _array = _buffer._chunks[_chunk];
                _length = _buffer._chunkLengths[_chunk];
                _position = 0;
            }

            var header = MemoryMarshal.Read<RowHeader>(_array.AsSpan(_position));
            var keyStart = _position + HeaderLength;
            var valueStart = keyStart + header.KeyLength;
            row = new Row(
                new ReadOnlyMemory<byte>(_array, keyStart, header.KeyLength),
                header.Seq,
                (RowKind)header.Kind,
                header.ValueLength == 0 ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(_array, valueStart, header.ValueLength),
                header.CreateTs,
                header.ExpireTs);
            _position = valueStart + header.ValueLength;
            return true;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct RowHeader(ulong seq, long createTs, long expireTs, int valueLength, ushort keyLength, byte kind)
    {
        public readonly ulong Seq = seq;
        public readonly long CreateTs = createTs;
        public readonly long ExpireTs = expireTs;
        public readonly int ValueLength = valueLength;
        public readonly ushort KeyLength = keyLength;
        public readonly byte Kind = kind;
    }
}
