namespace SlateDb;

/// <summary>What a write returns: its sequence number and a task that completes when it is durable.</summary>
public sealed class WriteHandle
{
    internal WriteHandle(ulong seq, Task durable)
    {
        Seq = seq;
        Durable = durable;
    }

    /// <summary>The sequence number the write was given; every row of a batch shares it.</summary>
    public ulong Seq { get; }

    /// <summary>
    /// Completes when the WAL object holding the write is stored in the object store. Faults with
    /// <see cref="FencedException"/> when a newer writer took over first, or <see cref="DbClosedException"/>
    /// when the database failed or closed before the write became durable. May be awaited any number of times.
    /// </summary>
    public Task Durable { get; }

    /// <inheritdoc />
    public override string ToString() => $"WriteHandle(seq {Seq}, {(Durable.IsCompletedSuccessfully ? "durable" : Durable.Status.ToString())})";
}
