using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Memtables;

namespace SlateDb;

/// <summary>
/// An atomic group of puts, deletes and merges: every operation becomes visible and durable together, under one sequence number.
/// </summary>
/// <remarks>
/// Keys and values are copied into the batch, so callers may reuse their buffers as soon as a method returns. Each
/// key and value is checked when it is added (an <see cref="ArgumentException"/> names the limit and the size seen).
/// When a batch holds several operations on one key, a put or delete replaces the earlier ones, and a merge applies on
/// top of them (the database folds them into one row with <see cref="Settings.MergeOperator"/> when it writes the
/// batch). A batch's estimated encoded size (keys,
/// values and about 30 bytes per operation) is limited to 256 MiB, and <see cref="Db.WriteAsync"/> also refuses a batch
/// larger than <see cref="Settings.MaxUnflushedBytes"/>: split larger changes into several batches. A batch is not thread-safe, must not be
/// changed or disposed while a write of it is in progress, and may be written again or reused after <see cref="Clear"/>.
/// <see cref="Dispose"/> returns its buffers to a pool.
/// </remarks>
public sealed partial class WriteBatch : IDisposable
{
    private const int InitialDataBytes = 256;
    private const int InitialEntries = 8;

    private byte[] _data = [];
    private int _dataLength;
    private BatchEntry[] _entries = [];
    private int _entryCount;
    private int _liveCount;
    private long _liveBytes;
    private long _encodedBytes;
    private int[] _table = [];   // open addressing: entry index + 1, 0 = empty; built once a second entry arrives
    private int _merges;         // merge entries added (replaced ones included)
    private int _mergeChains;    // merge entries added on top of an earlier operation on their key
    private bool _disposed;

    /// <summary>The number of operations the batch will apply (one per distinct key).</summary>
    public int Count => _liveCount;

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>The estimated encoded size of the live operations (what the write copies into the WAL and the memtable).</summary>
    internal long EncodedBytes => _encodedBytes;

    /// <summary>Adds a put of <paramref name="value"/> at <paramref name="key"/>, replacing any earlier operation on that key in this batch.</summary>
    /// <exception cref="ArgumentException">
    /// The key is empty or longer than 65 535 bytes, the value is larger than 64 MiB, or the batch would grow past 256 MiB encoded.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    public WriteBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Add(key, value, RowKind.Put, nameof(value));

    /// <summary>Adds a put of the UTF-8 encoding of <paramref name="value"/> at the UTF-8 encoding of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key or value is outside the limits.</exception>
    public WriteBatch Put(string key, string value) => AddUtf8(key, value, RowKind.Put, nameof(value));

    /// <summary>Adds a delete of <paramref name="key"/>, replacing any earlier operation on that key in this batch.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 65 535 bytes.</exception>
    public WriteBatch Delete(ReadOnlySpan<byte> key)
    {
        Limits.ValidateKey(key, nameof(key));
        var offset = Reserve(key.Length, 0);
        key.CopyTo(_data.AsSpan(offset));
        AddEntry(offset, key.Length, 0, RowKind.Delete);
        return this;
    }

    /// <summary>Adds a delete of the UTF-8 encoding of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key is empty or longer than 65 535 bytes.</exception>
    public WriteBatch Delete(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keyLength = Encoding.UTF8.GetByteCount(key);
        ValidateLengths(keyLength, 0);
        var offset = Reserve(keyLength, 0);
        Encoding.UTF8.GetBytes(key, _data.AsSpan(offset, keyLength));
        AddEntry(offset, keyLength, 0, RowKind.Delete);
        return this;
    }

    /// <summary>
    /// Adds a merge of <paramref name="operand"/> into <paramref name="key"/>: on top of any earlier put, delete or merge of
    /// that key in this batch, and when written, on top of the key's value. The database needs
    /// <see cref="Settings.MergeOperator"/> to write it.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The key is empty or longer than 65 535 bytes, the operand is larger than 64 MiB, or the batch would grow past 256 MiB encoded.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    public WriteBatch Merge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand) => Add(key, operand, RowKind.Merge, nameof(operand));

    /// <summary>Adds a merge of the UTF-8 encoding of <paramref name="operand"/> into the UTF-8 encoding of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The encoded key or operand is outside the limits.</exception>
    public WriteBatch Merge(string key, string operand) => AddUtf8(key, operand, RowKind.Merge, nameof(operand));

    /// <summary>Removes every operation, keeping the buffers for reuse.</summary>
    public void Clear()
    {
        _dataLength = 0;
        _entryCount = 0;
        _liveCount = 0;
        _liveBytes = 0;
        _encodedBytes = 0;
        _merges = _mergeChains = 0;
        Array.Clear(_table);
    }

    /// <summary>Returns the batch's buffers to the pool; the batch is empty afterwards and may not be used again.</summary>
    public void Dispose()
    {
        if (_data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_data);
        }

        _data = [];
        _entries = [];
        _table = [];
        _dataLength = _entryCount = _liveCount = _merges = _mergeChains = 0;
        _liveBytes = 0;
        _encodedBytes = 0;
        _disposed = true;
    }

    /// <summary>The number of entries, including those a later operation on the same key replaced.</summary>
    internal int EntryCount => _entryCount;

    /// <summary>The key and value bytes of the live operations (an estimate of the batch's encoded size without overhead).</summary>
    internal long LiveBytes => _liveBytes;

    /// <summary>Whether entry <paramref name="index"/> was replaced by a later operation on the same key.</summary>
    internal bool IsSuperseded(int index) => _entries[index].Superseded;

    /// <summary>Whether the batch holds merge operands (then writing it needs a merge operator).</summary>
    internal bool HasMerges => _merges > 0;

    /// <summary>
    /// The row of entry <paramref name="index"/>; key and value point into the batch (valid until it changes). Puts and
    /// merges get <paramref name="expireTs"/>; deletes never expire.
    /// </summary>
    internal Row GetRow(int index, ulong seq, long createTs, long expireTs = Row.NoExpiry)
    {
        ref readonly var e = ref _entries[index];
        var key = new ReadOnlyMemory<byte>(_data, e.Offset, e.KeyLength);
        var value = e.ValueLength == 0 ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(_data, e.Offset + e.KeyLength, e.ValueLength);
        return new Row(key, seq, e.Kind, value, createTs, e.Kind == RowKind.Delete ? Row.NoExpiry : expireTs);
    }

    /// <summary>
    /// This batch with every merge that sits on an earlier operation of its key folded into one row by
    /// <paramref name="mergeOperator"/> (a put when the chain starts with a put or delete, else one merge operand); this
    /// batch itself when there is nothing to fold.
    /// </summary>
    /// <exception cref="MergeOperatorException">The operator threw (nothing is written).</exception>
    internal WriteBatch FoldMerges(IMergeOperator mergeOperator)
    {
        if (_mergeChains == 0)
        {
            return this;
        }

        var folded = new WriteBatch();
        var operands = new List<ReadOnlyMemory<byte>>();
        for (var i = 0; i < _entryCount; i++)
        {
            ref readonly var e = ref _entries[i];
            if (e.Superseded)
            {
                continue;
            }

            var key = _data.AsSpan(e.Offset, e.KeyLength);
            if (e.Kind != RowKind.Merge || e.Previous == 0)
            {
                folded.Add(key, _data.AsSpan(e.Offset + e.KeyLength, e.ValueLength), e.Kind, "value");
                continue;
            }

            // Walk back to the start of the chain; operands are applied oldest first.
            operands.Clear();
            var first = i;
            while (_entries[first].Kind == RowKind.Merge)
            {
                operands.Add(ValueOf(first));
                if (_entries[first].Previous == 0)
                {
                    break;
                }

                first = _entries[first].Previous - 1;
            }

            operands.Reverse();
            var startKind = _entries[first].Kind;
            var keyMemory = new ReadOnlyMemory<byte>(_data, e.Offset, e.KeyLength);
            byte[] merged;
            RowKind kind;
            if (startKind == RowKind.Merge)
            {
                // No base: the operands combine into one operand (the operator is associative).
                merged = Read.VersionResolver.Apply(mergeOperator, keyMemory, operands[0], operands.GetRange(1, operands.Count - 1));
                kind = RowKind.Merge;
            }
            else
            {
                // Typed null: a plain null would convert through byte[] to an empty (not a missing) value.
                var existing = startKind == RowKind.Put ? ValueOf(first) : (ReadOnlyMemory<byte>?)null;
                merged = Read.VersionResolver.Apply(mergeOperator, keyMemory, existing, operands);
                kind = RowKind.Put;
            }

            folded.Add(key, merged, kind, "operand");
        }

        return folded;

        ReadOnlyMemory<byte> ValueOf(int index) => new(_data, _entries[index].Offset + _entries[index].KeyLength, _entries[index].ValueLength);
    }

    // Adds an operation with a value (a put or a merge), checking the key and value first.
    private WriteBatch Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, RowKind kind, string valueName)
    {
        Limits.ValidateKey(key, nameof(key));
        Limits.ValidateValue(value, valueName);
        var offset = Reserve(key.Length, value.Length);
        key.CopyTo(_data.AsSpan(offset));
        value.CopyTo(_data.AsSpan(offset + key.Length));
        AddEntry(offset, key.Length, value.Length, kind);
        return this;
    }

    // As Add, encoding the key and value as UTF-8 straight into the batch.
    private WriteBatch AddUtf8(string key, string value, RowKind kind, string valueName)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value, valueName);
        var keyLength = Encoding.UTF8.GetByteCount(key);
        var valueLength = Encoding.UTF8.GetByteCount(value);
        ValidateLengths(keyLength, valueLength);
        var offset = Reserve(keyLength, valueLength);
        Encoding.UTF8.GetBytes(key, _data.AsSpan(offset, keyLength));
        Encoding.UTF8.GetBytes(value, _data.AsSpan(offset + keyLength, valueLength));
        AddEntry(offset, keyLength, valueLength, kind);
        return this;
    }

    private static void ValidateLengths(int keyLength, int valueLength)
    {
        if (keyLength == 0 || keyLength > Limits.MaxKeyLength)
        {
            ThrowBadKey(keyLength, "key");
        }

        if (valueLength > Limits.MaxValueLength)
        {
            ThrowValueTooLong(valueLength, "value");
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadKey(int length, string paramName)
        => throw new ArgumentException(
            length == 0 ? "A key must not be empty." : $"A key is {length} bytes; the limit is {Limits.MaxKeyLength} bytes.",
            paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowValueTooLong(int length, string paramName)
        => throw new ArgumentException($"A value is {length} bytes; the limit is {Limits.MaxValueLength} bytes.", paramName);

    // Checks the batch limit before anything is copied, then makes room for `keyLength + valueLength` bytes.
    private int Reserve(int keyLength, int valueLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Limits.ValidateWriteSize(_encodedBytes + Memtable.EstimateEncodedSize(keyLength, valueLength, hasExpiry: false), Limits.MaxWriteBytes, valueLength > 0 ? "value" : "key");
        var bytes = keyLength + valueLength;
        var needed = (long)_dataLength + bytes;
        if (needed > _data.Length)
        {
            if (needed > Array.MaxLength)
            {
                throw new ArgumentException($"A batch holds at most {Array.MaxLength} bytes of keys and values, replaced ones included; this operation would make it {needed}.");
            }


            var size = (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(InitialDataBytes, (long)_data.Length * 2)));
            var grown = ArrayPool<byte>.Shared.Rent(size);
            _data.AsSpan(0, _dataLength).CopyTo(grown);
            if (_data.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_data);
            }

            _data = grown;
        }

        var offset = _dataLength;
        _dataLength += bytes;
        return offset;
    }

    private void AddEntry(int offset, int keyLength, int valueLength, RowKind kind)
    {
        if (_entryCount == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Max(InitialEntries, _entries.Length * 2));
        }

        // A range delete is not keyed by its start: it never replaces nor is replaced by an operation on that key.
        var pointOperation = kind != RowKind.RangeDelete;
        var hash = 0;
        var previous = 0;
        if (_entryCount > 0)
        {
            if (_entryCount == 1)
            {
                _entries[0].Hash = HashKey(_entries[0].Offset, _entries[0].KeyLength);
            }

            if (pointOperation)
            {
                hash = HashKey(offset, keyLength);
                EnsureTable(_entryCount + 1);
                previous = SupersedeSameKey(offset, keyLength, hash);
            }
        }

        if (kind == RowKind.Merge)
        {
            _merges++;
            if (previous != 0)
            {
                _mergeChains++;
            }
        }
        else
        {
            previous = 0;
        }

        _entries[_entryCount] = new BatchEntry { Offset = offset, KeyLength = keyLength, ValueLength = valueLength, Kind = kind, Hash = hash, Previous = previous };
        if (_table.Length > 0 && pointOperation)
        {
            Insert(_entryCount);
        }

        _entryCount++;
        _liveCount++;
        _liveBytes += keyLength + valueLength;
        _encodedBytes += Memtable.EstimateEncodedSize(keyLength, valueLength, hasExpiry: false);
    }

    // Marks an earlier live entry with the same key as replaced and frees its slot for the new entry; returns its index + 1
    // (0 when there is none), which a merge entry keeps to fold onto it.
    private int SupersedeSameKey(int offset, int keyLength, int hash)
    {
        var key = _data.AsSpan(offset, keyLength);
        var mask = _table.Length - 1;
        for (var slot = hash & mask; _table[slot] != 0; slot = (slot + 1) & mask)
        {
            ref var other = ref _entries[_table[slot] - 1];
            if (other.Hash == hash && !other.Superseded && _data.AsSpan(other.Offset, other.KeyLength).SequenceEqual(key))
            {
                other.Superseded = true;
                _liveCount--;
                _liveBytes -= other.KeyLength + other.ValueLength;
                _encodedBytes -= Memtable.EstimateEncodedSize(other.KeyLength, other.ValueLength, hasExpiry: false);
                return _table[slot];
            }
        }

        return 0;
    }

    private void EnsureTable(int entries)
    {
        if (entries * 2 <= _table.Length)
        {
            return;
        }

        _table = new int[Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)entries * 4))];
        for (var i = 0; i < _entryCount; i++)
        {
            if (!_entries[i].Superseded && _entries[i].Kind != RowKind.RangeDelete)
            {
                Insert(i);
            }
        }
    }

    private void Insert(int index)
    {
        var mask = _table.Length - 1;
        var slot = _entries[index].Hash & mask;
        while (_table[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _table[slot] = index + 1;
    }

    private int HashKey(int offset, int keyLength)
    {
        var hash = new HashCode();
        hash.AddBytes(_data.AsSpan(offset, keyLength));
        return hash.ToHashCode() & int.MaxValue;
    }

    private struct BatchEntry
    {
        public int Offset;
        public int KeyLength;
        public int ValueLength;
        public int Hash;
        public RowKind Kind;
        public bool Superseded;
        public int Previous;   // for a merge: index + 1 of the operation on the same key it applies on top of (0: none)
    }
}
