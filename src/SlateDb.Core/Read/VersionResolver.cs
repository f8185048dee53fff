using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Turns the versions of one key, fed newest first, into the value a read returns. Every read path (point lookups,
/// batched lookups, scans, and through them snapshots, transactions and readers) resolves through this one function.
/// </summary>
/// <remarks>
/// <para><b>Rules.</b> A put is the value; a tombstone means absent. A merge operand is kept and the walk goes on to
/// older versions until the first put or tombstone (the base) or the last version; the operands are then applied to the
/// base (or to nothing), oldest first, with <see cref="IMergeOperator.MergeBatch"/>. Time to live: a put whose expiry
/// time has passed counts as a tombstone (it hides older versions); a merge operand whose expiry time has passed is
/// skipped, as if never written.</para>
/// <para>A filter that removes versions (or inserts tombstones) before this runs changes what it sees, not how it
/// decides, so other shadowing rules compose with it.</para>
/// <para>Not thread-safe; <see cref="Reset"/> reuses one instance for the next key.</para>
/// </remarks>
internal sealed class VersionResolver
{
    private readonly IMergeOperator? _operator;
    private readonly long _nowMs;
    private readonly List<ReadOnlyMemory<byte>> _operands = [];
    private ReadOnlyMemory<byte>? _base;
    private bool _settled;

    /// <param name="mergeOperator">Applies merge operands; null when none is configured (then a key with operands fails).</param>
    /// <param name="nowMs">The time rows expire against, in milliseconds since the Unix epoch.</param>
    public VersionResolver(IMergeOperator? mergeOperator, long nowMs)
    {
        _operator = mergeOperator;
        _nowMs = nowMs;
    }

    /// <summary>Whether a base (put or tombstone) was reached: older versions no longer matter.</summary>
    public bool IsSettled => _settled;

    /// <summary>Whether merge operands were collected so far.</summary>
    public bool HasOperands => _operands.Count > 0;

    /// <summary>
    /// The value <paramref name="row"/> alone settles, without looking at older versions: a live put (a copy), a
    /// tombstone or an expired put (null). False for a merge operand (older versions are needed).
    /// </summary>
    public static bool TrySettle(in Row row, TimeProvider time, out byte[]? value)
    {
        switch (row.Kind)
        {
            case RowKind.Put:
                value = row.HasExpiry && row.IsExpiredAt(time.GetUtcNow().ToUnixTimeMilliseconds()) ? null : row.Value.ToArray();
                return true;
            case RowKind.Delete:
                value = null;
                return true;
            default:
                value = null;
                return false;
        }
    }

    /// <summary>Forgets the key resolved so far.</summary>
    public void Reset()
    {
        _operands.Clear();
        _base = null;
        _settled = false;
    }

    /// <summary>
    /// Takes the next older version; true when it settles the key. With <paramref name="copy"/>, the value is copied
    /// (for rows whose memory is only valid until their iterator moves).
    /// </summary>
    public bool Add(in Row row, bool copy)
    {
        if (_settled)
        {
            return true;
        }

        var expired = row.HasExpiry && row.IsExpiredAt(_nowMs);
        switch (row.Kind)
        {
            case RowKind.Merge:
                if (!expired)
                {
                    _operands.Add(copy ? row.Value.ToArray() : row.Value);
                }

                return false;
            case RowKind.Put when !expired:
                _base = copy ? row.Value.ToArray() : row.Value;
                break;
            default:
                _base = null;
                break;
        }

        _settled = true;
        return true;
    }

    /// <summary>
    /// The value of the versions added so far (all of them, when the key is not settled): null when absent, else an array
    /// the caller owns.
    /// </summary>
    /// <exception cref="MergeOperatorException">Operands are to be applied and no operator is configured, or it threw.</exception>
    public byte[]? Result(ReadOnlyMemory<byte> key)
    {
        if (_operands.Count == 0)
        {
            return _base?.ToArray();
        }

        _operands.Reverse();
        return Apply(_operator, key, _base, _operands);
    }

    /// <summary>
    /// Applies <paramref name="operands"/> (oldest first) to <paramref name="existing"/> with <paramref name="mergeOperator"/>,
    /// turning a missing operator or one that throws into a <see cref="MergeOperatorException"/> naming the key.
    /// </summary>
    public static byte[] Apply(IMergeOperator? mergeOperator, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, IReadOnlyList<ReadOnlyMemory<byte>> operands)
    {
        if (mergeOperator is null)
        {
            throw MergeOperatorException.NoOperator(key.Span);
        }

        try
        {
            return mergeOperator.MergeBatch(key, existing, operands)
                ?? throw new InvalidOperationException($"{mergeOperator.GetType().FullName}.{nameof(IMergeOperator.MergeBatch)} returned null.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw MergeOperatorException.Threw(key.Span, mergeOperator, e);
        }
    }
}
