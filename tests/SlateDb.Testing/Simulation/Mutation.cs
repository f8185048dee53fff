namespace SlateDb.Testing.Simulation;

/// <summary>One put (a value) or delete (<see cref="Value"/> null) of one key.</summary>
public sealed record Mutation(byte[] Key, byte[]? Value)
{
    public bool IsDelete => Value is null;

    public override string ToString() => IsDelete ? $"delete {Bytes.Show(Key)}" : $"put {Bytes.Show(Key)} = {Bytes.Show(Value)}";
}

/// <summary>
/// One write call: a single put or delete, or a batch of mutations applied atomically (a later mutation of
/// the same key wins, as in <see cref="WriteBatch"/>).
/// </summary>
public sealed record WriteOp(IReadOnlyList<Mutation> Mutations, bool AsBatch)
{
    public static WriteOp Put(byte[] key, byte[] value) => new([new Mutation(key, value)], AsBatch: false);

    public static WriteOp Delete(byte[] key) => new([new Mutation(key, null)], AsBatch: false);

    public static WriteOp Batch(params Mutation[] mutations) => new(mutations, AsBatch: true);

    /// <summary>Issues this write on <paramref name="db"/>.</summary>
    public Task<WriteHandle> ApplyAsync(Db db, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!AsBatch)
        {
            var m = Mutations[0];
            return m.Value is null
                ? db.DeleteAsync(m.Key, options, cancellationToken)
                : db.PutAsync(m.Key, m.Value, options, cancellationToken);
        }

        return WriteBatchAsync(db, options, cancellationToken);
    }

    private async Task<WriteHandle> WriteBatchAsync(Db db, WriteOptions? options, CancellationToken cancellationToken)
    {
        using var batch = new WriteBatch();
        foreach (var m in Mutations)
        {
            if (m.Value is null)
            {
                batch.Delete(m.Key);
            }
            else
            {
                batch.Put(m.Key, m.Value);
            }
        }

        return await db.WriteAsync(batch, options, cancellationToken);
    }

    public override string ToString()
        => AsBatch ? $"batch[{string.Join(", ", Mutations)}]" : Mutations[0].ToString();
}
