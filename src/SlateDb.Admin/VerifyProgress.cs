namespace SlateDb.Admin;

/// <summary>How far a verification got; reported after each object.</summary>
/// <param name="ObjectsChecked">Objects checked so far.</param>
/// <param name="ObjectsTotal">Objects to check in all.</param>
/// <param name="BytesRead">Bytes read so far.</param>
public readonly record struct VerifyProgress(long ObjectsChecked, long ObjectsTotal, long BytesRead);
