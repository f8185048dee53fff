using SlateDb.Format;
using SlateDb.Wal;

namespace SlateDb.Cdc;

/// <summary>A decoded WAL object: its batch and the range of sequence numbers it holds (0, 0 for a fence).</summary>
internal readonly record struct DecodedWalObject(ChangeBatch Batch, ulong MinSeq, ulong MaxSeq);

// Turns the bytes of one WAL object into a change batch, with the checks WAL replay makes.
//
// Invariants
//  1. An object of WalFenceObject.Length bytes is a fence only if WalFenceObject verifies it (magic, version, checksum);
//     it is not data and yields no rows. A zero-byte object is neither a fence nor a WAL SST: CorruptionException.
//  2. Anything else must be a whole, valid WAL SST: every block is read and verified (SstReader), before the batch exists.
//  3. Rows come out in the order stored, which is sequence order; a sequence number that goes backwards is corruption.
//  4. Every row maps to a ChangeKind; a row kind with none fails (NotSupportedException naming the object and the seq),
//     even when the row itself would be skipped: nothing is ever dropped silently.
//  5. Rows at or below the starting cursor's seq are left out (already delivered); the batch still covers the object.

/// <summary>Decodes WAL objects (WAL SSTs and fences) into <see cref="ChangeBatch"/>es.</summary>
internal static class WalObjectDecoder
{
    /// <summary>Decodes the whole object <paramref name="walId"/>; rows at or below <paramref name="before"/>'s seq are left out.</summary>
    /// <exception cref="CorruptionException">The object is empty, a bad fence, an invalid SST, or its seqs go backwards.</exception>
    /// <exception cref="NotSupportedException">A row has a kind the change feed does not read.</exception>
    public static async Task<DecodedWalObject> DecodeAsync(ulong walId, ReadOnlyMemory<byte> data, string path, ChangeCursor before)
    {
        if (data.IsEmpty)
        {
            throw new CorruptionException(path, WalRange.EmptyDetail);
        }

        if (data.Length == WalFenceObject.Length)
        {
            WalFenceObject.Decode(data.Span, path);
            return new DecodedWalObject(new ChangeBatch(walId, true, [], before, 0), 0, 0);
        }

        var rows = new List<ChangeRow>();
        var copies = new CopyArena();
        ulong minSeq = 0;
        ulong maxSeq = 0;
        var first = true;
        var iterator = SstReader.Open(data, path).CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false });
        await using (iterator.ConfigureAwait(false))
        {
            while (await iterator.MoveNextAsync().ConfigureAwait(false))
            {
                var row = iterator.Current;
                if (first)
                {
                    minSeq = row.Seq;
                    first = false;
                }
                else if (row.Seq < maxSeq)
                {
                    throw new CorruptionException(path, $"sequence numbers go backwards: row seq {row.Seq} after seq {maxSeq} (change feed)");
                }

                maxSeq = row.Seq;
                var kind = KindOf(row, path);
                if (row.Seq > before.Seq)
                {
                    rows.Add(new ChangeRow(
                        copies.Copy(row.Key.Span),
                        copies.Copy(row.Value.Span),
                        row.Seq,
                        kind,
                        row.CreateTs,
                        row.HasExpiry ? row.ExpireTs : null));
                }
            }
        }

        return new DecodedWalObject(new ChangeBatch(walId, false, rows, before, maxSeq), minSeq, maxSeq);
    }

    // Copies keys and values into shared chunks: the rows own their memory without an array each.
    private struct CopyArena
    {
        private const int ChunkBytes = 64 * 1024;
        private byte[]? _chunk;
        private int _used;

        public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
            {
                return ReadOnlyMemory<byte>.Empty;
            }

            if (bytes.Length > ChunkBytes / 4)
            {
                return bytes.ToArray();
            }

            if (_chunk is null || _used + bytes.Length > _chunk.Length)
            {
                _chunk = new byte[ChunkBytes];
                _used = 0;
            }

            var copy = _chunk.AsMemory(_used, bytes.Length);
            bytes.CopyTo(copy.Span);
            _used += bytes.Length;
            return copy;
        }
    }

    private static ChangeKind KindOf(in Row row, string path) => row.Kind switch
    {
        RowKind.Put => ChangeKind.Put,
        RowKind.Delete => ChangeKind.Delete,
        RowKind.Merge => ChangeKind.Merge,
        RowKind.RangeDelete => ChangeKind.DeleteRange,
        _ => throw new NotSupportedException(
            $"'{path}': the row at seq {row.Seq} has row kind {row.Kind}, which the change feed does not read (it reads Put, Delete and Merge rows); " +
            "read this WAL with a build that supports it."),
    };
}
