using SlateDb.Manifest.Proto;

namespace SlateDb.Manifest;

/// <summary>
/// The compactor state object format: <c>magic "SDBC" | u16 LE format version | protobuf
/// <see cref="CompactionsState"/> | u32 LE CRC-32C</c> (<see cref="FramedProtobufCodec{T}"/>). Every job has an id.
/// </summary>
internal sealed class CompactionsCodec : FramedProtobufCodec<CompactionsState>
{
    /// <summary>The format version this build writes and reads.</summary>
    public const ushort FormatVersion = 1;

    private CompactionsCodec()
        : base("SDBC", FormatVersion, "compactor state", CompactionsState.Parser)
    {
    }

    /// <summary>The codec (stateless).</summary>
    public static CompactionsCodec Instance { get; } = new();

    /// <inheritdoc />
    protected override string? StructuralProblem(CompactionsState value)
    {
        for (var i = 0; i < value.Jobs.Count; i++)
        {
            if (value.Jobs[i].Id is null)
            {
                return $"jobs[{i}] has no id";
            }
        }

        return null;
    }
}
