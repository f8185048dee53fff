using Microsoft.Extensions.Hosting;

namespace SlateDb.Extensions.Hosting;

/// <summary>Opens one registered database when the host starts and closes (flushes) it when the host stops.</summary>
/// <remarks>
/// Hosted services start in registration order and stop in reverse: services registered after <c>AddSlateDb</c> start
/// after the database opened and stop before it closes.
/// </remarks>
internal sealed class SlateDbHostedService(SlateDbInstance instance) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => instance.OpenAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => instance.CloseAsync();
}
