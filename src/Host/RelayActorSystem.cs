using Akka.Actor;

namespace AkkaProxy.Host;

/// <summary>
/// Terminates the relay's actor system once the host has stopped: after every hosted service's
/// StopAsync, the web server's included, so the exchanges still draining keep their graphs until done.
/// </summary>
internal sealed class RelayActorSystem(ActorSystem system) : IHostedLifecycleService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
}
