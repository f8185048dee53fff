using System.Runtime.CompilerServices;
namespace SlateDb.Memtables;

/// <summary>
/// Sorts the entries of one commit: a merge sort over a scratch buffer, with insertion sort for short ranges. It
/// compares entries in place (no 32-byte copies per comparison) and, being stable, keeps equal entries in staging
/// order, which the duplicate check then reports.
/// </summary>
internal static class EntrySort
{
    private const int InsertionSortMax = 12;

    /// <summary>Sorts <paramref name="entries"/> by <paramref name="order"/>; <paramref name="scratch"/> is at least as long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sort(Span<RunEntry> entries, Span<RunEntry> scratch, in EntryOrder order)
    {
        if (entries.Length <= InsertionSortMax)
        {
            InsertionSort(entries, in order);
            return;
        }

        var half = entries.Length / 2;
        Sort(entries[..half], scratch, in order);
        Sort(entries[half..], scratch, in order);
        if (order.Compare(in entries[half - 1], in entries[half]) <= 0)
        {
            return; // already in order (sequential keys)
        }

        entries[..half].CopyTo(scratch);
        Merge(scratch[..half], entries, half, in order);
    }

    // Merges the run in `left` with the run at entries[start..] into entries.
    private static void Merge(ReadOnlySpan<RunEntry> left, Span<RunEntry> entries, int start, in EntryOrder order)
    {
        int i = 0, j = start, k = 0;
        while (i < left.Length && j < entries.Length)
        {
            if (order.Compare(in entries[j], in left[i]) < 0)
            {
                entries[k++] = entries[j++];
            }
            else
            {
                entries[k++] = left[i++];
            }
        }

        left[i..].CopyTo(entries[k..]);
    }

    private static void InsertionSort(Span<RunEntry> entries, in EntryOrder order)
    {
        for (var i = 1; i < entries.Length; i++)
        {
            if (order.Compare(in entries[i - 1], in entries[i]) <= 0)
            {
                continue;
            }

            var entry = entries[i];
            var j = i - 1;
            do
            {
                entries[j + 1] = entries[j];
                j--;
            }
            while (j >= 0 && order.Compare(in entries[j], in entry) > 0);

            entries[j + 1] = entry;
        }
    }
}
