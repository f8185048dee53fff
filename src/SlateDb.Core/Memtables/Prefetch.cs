using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace SlateDb.Memtables;

/// <summary>Hints the CPU to start loading memory that will be read soon.</summary>
internal static class Prefetch
{
    /// <summary>
    /// Starts loading the cache line of <paramref name="array"/> at <paramref name="offset"/> (which must be within it).
    /// A hint only: it never faults and changes nothing observable, so a stale address is harmless.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Line(byte[] array, int offset)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), offset)));
        }
    }
}
