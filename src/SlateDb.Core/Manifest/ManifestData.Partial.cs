using System.Buffers.Binary;
using SlateDb.Infrastructure;

#pragma warning disable IDE0130 // The partial halves of generated types live in the generated namespace.
namespace SlateDb.Manifest.Proto;
#pragma warning restore IDE0130

/// <summary>Conveniences over the generated manifest root.</summary>
internal sealed partial class ManifestData
{
    /// <summary>The value of <see cref="LastL0ClockTick"/> that means "no row was flushed to L0 yet".</summary>
    public const long NoClockTick = long.MinValue;

    /// <summary>
    /// The largest create timestamp flushed to L0, or <see cref="NoClockTick"/> (<see cref="long.MinValue"/>)
    /// when none was. Setting <see cref="NoClockTick"/> clears the stored field.
    /// </summary>
    public long L0ClockTick
    {
        get => HasLastL0ClockTick ? LastL0ClockTick : NoClockTick;
        set
        {
            if (value == NoClockTick)
            {
                ClearLastL0ClockTick();
            }
            else
            {
                LastL0ClockTick = value;
            }
        }
    }
}

/// <summary>Conversions between the wire form of an SST id and <see cref="Ulid"/>.</summary>
internal sealed partial class SstId
{
    /// <summary>The wire form of <paramref name="id"/>.</summary>
    public static SstId FromUlid(Ulid id) => new() { High = id.High, Low = id.Low };

    /// <summary>The ULID this message holds.</summary>
    public Ulid ToUlid() => new(High, Low);
}

/// <summary>Conversions between the wire form of a UUID and <see cref="Guid"/>.</summary>
internal sealed partial class Uuid
{
    /// <summary>The wire form of <paramref name="id"/> (RFC 4122 byte order).</summary>
    public static Uuid FromGuid(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return new Uuid
        {
            High = BinaryPrimitives.ReadUInt64BigEndian(bytes),
            Low = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        };
    }

    /// <summary>The <see cref="Guid"/> this message holds.</summary>
    public Guid ToGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
        return new Guid(bytes, bigEndian: true);
    }
}
