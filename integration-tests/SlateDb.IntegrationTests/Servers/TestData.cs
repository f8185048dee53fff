using System.Net;
using System.Net.Sockets;

namespace SlateDb.IntegrationTests.Servers;

/// <summary>Helpers the server-specific test classes share.</summary>
internal static class TestData
{
    /// <summary>A loopback TCP port nothing listens on (it was free a moment ago).</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
