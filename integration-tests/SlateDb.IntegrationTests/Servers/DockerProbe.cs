using System.Net.Sockets;

namespace SlateDb.IntegrationTests.Servers;

/// <summary>
/// Finds out within a few seconds whether a Docker engine answers, before anything asks Testcontainers to start a
/// container (whose own discovery can wait much longer when no engine is there).
/// </summary>
internal static class DockerProbe
{
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Null when an engine answered <c>GET /_ping</c>; otherwise why not, naming the endpoints tried.</summary>
    public static async Task<string?> WhyUnavailableAsync()
    {
        var tried = new List<string>();
        foreach (var endpoint in Candidates())
        {
            tried.Add(endpoint);
            if (await PingAsync(endpoint))
            {
                return null;
            }
        }

        return $"no Docker engine answered (tried {string.Join(", ", tried)})";
    }

    private static IEnumerable<string> Candidates()
    {
        if (TestServers.Variable("DOCKER_HOST") is { } host)
        {
            yield return host;
            yield break;
        }

        yield return "unix:///var/run/docker.sock";
        if (TestServers.Variable("XDG_RUNTIME_DIR") is { } runtime)
        {
            yield return $"unix://{runtime}/docker.sock";
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        yield return $"unix://{home}/.docker/run/docker.sock";
        yield return $"unix://{home}/.docker/desktop/docker.sock";
    }

    private static async Task<bool> PingAsync(string endpoint)
    {
        using var timeout = new CancellationTokenSource(PingTimeout);
        try
        {
            if (endpoint.StartsWith("unix://", StringComparison.Ordinal))
            {
                var socketPath = endpoint["unix://".Length..];
                if (!File.Exists(socketPath))
                {
                    return false;
                }

                using var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (_, ct) =>
                    {
                        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    },
                };
                using var client = new HttpClient(handler);
                using var response = await client.GetAsync("http://docker/_ping", timeout.Token);
                return response.IsSuccessStatusCode;
            }

            if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            {
                using var client = new HttpClient();
                using var response = await client.GetAsync("http://" + endpoint["tcp://".Length..] + "/_ping", timeout.Token);
                return response.IsSuccessStatusCode;
            }

            return false;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }
}
