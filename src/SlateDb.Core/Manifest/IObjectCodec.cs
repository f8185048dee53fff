namespace SlateDb.Manifest;

/// <summary>Turns one kind of versioned object (a manifest, the compactor state) into store bytes and back.</summary>
/// <typeparam name="T">The in-memory form.</typeparam>
internal interface IObjectCodec<T>
    where T : class
{
    /// <summary>The whole object as written to the store (framing and checksum included). The caller owns the array.</summary>
    byte[] Encode(T value);

    /// <summary>Decodes an object read from <paramref name="objectPath"/>.</summary>
    /// <exception cref="CorruptionException">The bytes fail verification; the exception names the object and the part.</exception>
    T Decode(string objectPath, ReadOnlySpan<byte> bytes);
}
