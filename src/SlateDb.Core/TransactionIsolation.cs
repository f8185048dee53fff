namespace SlateDb;

/// <summary>How much a <see cref="DbTransaction"/> is protected from writes committed while it runs.</summary>
public enum TransactionIsolation
{
    /// <summary>
    /// Reads see the database as it was when the transaction began; the commit fails when a write committed since then
    /// touched a key the transaction writes (write-write conflicts). Write skew is possible.
    /// </summary>
    Snapshot,

    /// <summary>
    /// As <see cref="Snapshot"/>, and the commit also fails when a write committed since the transaction began touched a
    /// key it read or a key inside a range it scanned (phantoms): committed transactions are serializable.
    /// </summary>
    SerializableSnapshot,
}
