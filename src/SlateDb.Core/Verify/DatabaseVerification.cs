namespace SlateDb.Verify;

/// <summary>One problem found: the object and what is wrong with it.</summary>
/// <param name="Path">The object path (in the main store, or the WAL store for WAL objects).</param>
/// <param name="Message">What is wrong.</param>
internal readonly record struct VerifyFinding(string Path, string Message);

/// <summary>How far a verification got.</summary>
/// <param name="ObjectsChecked">Objects checked so far.</param>
/// <param name="ObjectsTotal">Objects the manifest references.</param>
/// <param name="BytesRead">Bytes read so far.</param>
internal readonly record struct VerifyCounts(long ObjectsChecked, long ObjectsTotal, long BytesRead);

/// <summary>The outcome of verifying one manifest's objects.</summary>
/// <param name="ObjectsChecked">How many objects were checked (each referenced SST and WAL id once).</param>
/// <param name="BytesRead">How many bytes were read.</param>
/// <param name="Problems">Every problem, in manifest order (L0 newest first, sorted runs, then WAL ids ascending).</param>
internal sealed record DatabaseVerification(long ObjectsChecked, long BytesRead, IReadOnlyList<VerifyFinding> Problems);
