using System.Net;
using System.Net.Sockets;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.IntegrationTests.Servers;

/// <summary>Checks the server-specific test classes share.</summary>
internal static class StoreChecks
{
    /// <summary>
    /// Many writers update one object with the same etag at once: exactly one wins and every other gets
    /// <see cref="PreconditionFailedException"/> (a server's transient answers under contention are retried away
    /// by the SDK, and the winner's bytes are what is stored).
    /// </summary>
    public static async Task ConcurrentUpdatesHaveOneWinnerAsync(IObjectStore store, int writers = 16)
    {
        var start = await store.PutAsync("cas/register", "v0"u8.ToArray(), PutMode.Create);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            await go.Task;
            try
            {
                return (Writer: i, Meta: (ObjectMeta?)await store.PutAsync("cas/register", new[] { (byte)i }, PutMode.Update(start.ETag)), Error: (Exception?)null);
            }
            catch (ObjectStoreException e)
            {
                return (Writer: i, Meta: (ObjectMeta?)null, Error: (Exception?)e);
            }
        })).ToArray();
        go.SetResult();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(results, r => r.Meta is not null);
        Assert.All(results.Where(r => r.Meta is null), r => Assert.IsType<PreconditionFailedException>(r.Error));
        var stored = await store.GetAsync("cas/register");
        Assert.Equal(new[] { (byte)winner.Writer }, stored.Bytes.ToArray());
        Assert.Equal(winner.Meta!.ETag, stored.Meta.ETag);
    }

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
