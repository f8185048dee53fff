namespace SlateDb.Testing.Fuzzing;

/// <summary>What a <see cref="Mutation"/> does to an input.</summary>
public enum MutationKind
{
    /// <summary>Flips one bit.</summary>
    FlipBit,

    /// <summary>Sets one byte to an edge value (0, 1, 0x7F, 0x80, 0xFF) or to <see cref="Mutation.Value"/>.</summary>
    SetByte,

    /// <summary>Overwrites four bytes with an edge value (0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, a small number) little-endian.</summary>
    SetUInt32,

    /// <summary>Adds a small signed delta to one byte.</summary>
    AddToByte,

    /// <summary>Inserts bytes.</summary>
    Insert,

    /// <summary>Deletes bytes.</summary>
    Delete,

    /// <summary>Cuts the input at a position.</summary>
    Truncate,

    /// <summary>Copies a range of the input over another position.</summary>
    CopyRange,

    /// <summary>Inserts a token that means something to a text parser ('/', "..", '%', "://", '?', NUL, ...).</summary>
    InsertToken,
}

/// <summary>
/// One edit of a fuzz input. Positions and lengths are taken modulo the input's size when applied, so any mutation
/// applies to any input (and a generator can produce them without knowing the input).
/// </summary>
/// <param name="Kind">What to do.</param>
/// <param name="Position">Where (modulo the input length).</param>
/// <param name="Value">The bit, byte, edge value or delta to use.</param>
/// <param name="Length">How many bytes to insert, delete or copy (kept small).</param>
/// <param name="Source">Where a copied range starts (modulo the input length).</param>
public readonly record struct Mutation(MutationKind Kind, uint Position, uint Value, uint Length, uint Source)
{
    private static readonly byte[] EdgeBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF];
    private static readonly byte[][] Tokens =
    [
        "/"u8.ToArray(), "//"u8.ToArray(), ".."u8.ToArray(), "."u8.ToArray(), "%"u8.ToArray(), "%2F"u8.ToArray(), "%00"u8.ToArray(), "%zz"u8.ToArray(),
        "://"u8.ToArray(), "?"u8.ToArray(), "&"u8.ToArray(), "="u8.ToArray(), "@"u8.ToArray(), "#"u8.ToArray(), "\\"u8.ToArray(), [0], [0xFF],
        [0xC3, 0xA9], "-"u8.ToArray(), " "u8.ToArray(), "file"u8.ToArray(), "s3"u8.ToArray(), "az"u8.ToArray(), "memory"u8.ToArray(),
        "region="u8.ToArray(), "endpoint="u8.ToArray(), "localhost"u8.ToArray(), "http://"u8.ToArray(), "[::1]"u8.ToArray(), ":99999"u8.ToArray(),
    ];

    private static readonly uint[] EdgeWords = [0, 1, 0x7F, 0x80, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1000_0000, 0x0FFF_FFFF];

    /// <summary>A copy of <paramref name="input"/> with <paramref name="mutations"/> applied in order.</summary>
    public static byte[] ApplyAll(byte[] input, IEnumerable<Mutation> mutations)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(mutations);
        var bytes = new List<byte>(input);
        foreach (var mutation in mutations)
        {
            mutation.Apply(bytes);
        }

        return [.. bytes];
    }

    /// <summary>A random mutation from <paramref name="random"/>.</summary>
    public static Mutation Random(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new Mutation(
            (MutationKind)random.Next(9), (uint)random.Next(), (uint)random.Next(), (uint)random.Next(1, random.Next(2) == 0 ? 5 : 65), (uint)random.Next());
    }

    private void Apply(List<byte> bytes)
    {
        var count = bytes.Count;
        if (count == 0 && Kind is not (MutationKind.Insert or MutationKind.InsertToken))
        {
            return;
        }

        var at = count == 0 ? 0 : (int)(Position % (uint)count);
        switch (Kind)
        {
            case MutationKind.FlipBit:
                bytes[at] ^= (byte)(1 << (int)(Value % 8));
                break;
            case MutationKind.SetByte:
                bytes[at] = Value % 7 < EdgeBytes.Length ? EdgeBytes[Value % 7] : (byte)(Value >> 8);
                break;
            case MutationKind.SetUInt32:
                var word = EdgeWords[Value % (uint)EdgeWords.Length];
                for (var i = 0; i < 4 && at + i < count; i++)
                {
                    bytes[at + i] = (byte)(word >> (8 * i));
                }

                break;
            case MutationKind.AddToByte:
                bytes[at] = (byte)(bytes[at] + (int)(Value % 33) - 16);
                break;
            case MutationKind.Insert:
                var inserted = new byte[Length];
                for (var i = 0; i < inserted.Length; i++)
                {
                    inserted[i] = (byte)((Value >> (8 * (i % 4))) + i);
                }

                bytes.InsertRange(count == 0 ? 0 : (int)(Position % (uint)(count + 1)), inserted);
                break;
            case MutationKind.Delete:
                bytes.RemoveRange(at, (int)Math.Min(Length, (uint)(count - at)));
                break;
            case MutationKind.Truncate:
                bytes.RemoveRange(at, count - at);
                break;
            case MutationKind.CopyRange:
                var from = (int)(Source % (uint)count);
                var length = (int)Math.Min(Length, (uint)Math.Min(count - from, count - at));
                var range = bytes.GetRange(from, length);
                for (var i = 0; i < range.Count; i++)
                {
                    bytes[at + i] = range[i];
                }

                break;
            case MutationKind.InsertToken:
                bytes.InsertRange((int)(Position % (uint)(count + 1)), Tokens[Value % (uint)Tokens.Length]);
                break;
        }
    }
}
