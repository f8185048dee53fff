using SlateDb.Manifest.Proto;

namespace SlateDb.Verify;

/// <summary>What kind of object a manifest references.</summary>
internal enum VerifyTargetKind
{
    /// <summary>An L0 or sorted-run SST, in the main store (in this database or an external one).</summary>
    CompactedSst,

    /// <summary>A WAL SST or fence in the manifest's replay range, in the WAL store.</summary>
    WalObject,
}

/// <summary>One object a manifest needs.</summary>
/// <param name="Path">The object path in its store.</param>
/// <param name="Kind">Compacted SST or WAL object.</param>
/// <param name="Role">Where the manifest references it, for messages (e.g. "L0", "sorted run 3", "WAL id 7").</param>
/// <param name="Handle">The manifest's handle of a compacted SST; null for WAL objects.</param>
internal sealed record VerifyTarget(string Path, VerifyTargetKind Kind, string Role, SstHandle? Handle);
