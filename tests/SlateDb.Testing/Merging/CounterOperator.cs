using System.Buffers.Binary;

namespace SlateDb.Testing.Merging;

/// <summary>A merge operator that adds 64-bit little-endian integers (a missing value counts as zero).</summary>
public sealed class CounterOperator : IMergeOperator
{
    /// <summary>How many times <see cref="Merge"/> ran.</summary>
    public int Calls => Volatile.Read(ref _calls);

    private int _calls;

    public static byte[] Encode(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static long Decode(ReadOnlySpan<byte> bytes)
        => bytes.Length == 8
            ? BinaryPrimitives.ReadInt64LittleEndian(bytes)
            : throw new ArgumentException($"A counter is 8 bytes; this one is {bytes.Length}: {Convert.ToHexString(bytes)}.", nameof(bytes));

    public byte[] Merge(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, ReadOnlyMemory<byte> operand)
    {
        Interlocked.Increment(ref _calls);
        return Encode((existing is { } e ? Decode(e.Span) : 0) + Decode(operand.Span));
    }
}

/// <summary>A merge operator that appends operands to the value (byte concatenation: associative, not commutative).</summary>
public sealed class AppendOperator : IMergeOperator
{
    public byte[] Merge(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, ReadOnlyMemory<byte> operand)
        => Concat(existing, operand);

    internal static byte[] Concat(ReadOnlyMemory<byte>? existing, ReadOnlyMemory<byte> operand)
    {
        var head = existing ?? ReadOnlyMemory<byte>.Empty;
        var result = new byte[head.Length + operand.Length];
        head.Span.CopyTo(result);
        operand.Span.CopyTo(result.AsSpan(head.Length));
        return result;
    }

    /// <summary>Appends every operand at once (one allocation).</summary>
    public byte[] MergeBatch(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, IReadOnlyList<ReadOnlyMemory<byte>> operands)
    {
        var length = existing?.Length ?? 0;
        foreach (var operand in operands)
        {
            length += operand.Length;
        }

        var result = new byte[length];
        var at = 0;
        if (existing is { } e)
        {
            e.Span.CopyTo(result);
            at = e.Length;
        }

        foreach (var operand in operands)
        {
            operand.Span.CopyTo(result.AsSpan(at));
            at += operand.Length;
        }

        return result;
    }
}

/// <summary>A merge operator that throws for operands starting with '!' and appends otherwise.</summary>
public sealed class FailingOperator : IMergeOperator
{
    public byte[] Merge(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, ReadOnlyMemory<byte> operand)
        => operand.Span.Length > 0 && operand.Span[0] == (byte)'!'
            ? throw new InvalidOperationException("the operand is poisoned")
            : AppendOperator.Concat(existing, operand);
}
