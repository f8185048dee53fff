namespace SlateDb.Admin;

/// <summary>One problem a verification found.</summary>
/// <param name="Path">The object's path (in the main store; WAL objects in the WAL store, which the message names).</param>
/// <param name="Message">What is wrong: missing, wrong size, or which part failed to verify.</param>
public sealed record VerifyProblem(string Path, string Message);
