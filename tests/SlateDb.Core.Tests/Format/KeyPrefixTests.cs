using System.Buffers.Binary;
using SlateDb.Format;
using Xunit;

namespace SlateDb.Core.Tests.Format;

public class KeyPrefixTests
{
    [Fact]
    public void Key_prefixes_are_the_first_eight_bytes_zero_padded_and_order_keys_that_differ_in_them()
    {
        var random = new Random(11);
        Span<byte> padded = stackalloc byte[8];
        for (var i = 0; i < 5000; i++)
        {
            var a = RandomKey(random);
            var b = RandomKey(random);
            padded.Clear();
            a.AsSpan(0, Math.Min(8, a.Length)).CopyTo(padded);
            Assert.Equal(BinaryPrimitives.ReadUInt64BigEndian(padded), KeyCompare.KeyPrefix(a));

            var pa = KeyCompare.KeyPrefix(a);
            var pb = KeyCompare.KeyPrefix(b);
            if (pa != pb)
            {
                Assert.Equal(Math.Sign(a.AsSpan().SequenceCompareTo(b)), pa < pb ? -1 : 1);
            }
        }

        Assert.Equal(0UL, KeyCompare.KeyPrefix([]));
    }

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[random.Next(0, 12)];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = (byte)(random.Next(3) == 0 ? random.Next(256) : random.Next(2));
        }

        return key;
    }
}
