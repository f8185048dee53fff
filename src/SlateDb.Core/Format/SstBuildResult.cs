namespace SlateDb.Format;

/// <summary>A finished SST: its encoded bytes (one contiguous buffer the result owns; no other copy is kept) and its description.</summary>
internal sealed record SstBuildResult(ReadOnlyMemory<byte> Data, SstInfo Info);
