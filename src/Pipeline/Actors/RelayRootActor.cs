using Akka.Actor;

namespace AkkaProxy.Pipeline.Actors;

/// <summary><c>/user/akkaproxy</c>: the root of the relay's actors; it only supervises (see <see cref="RelayActors"/>).</summary>
internal sealed class RelayRootActor : UntypedActor
{
    protected override SupervisorStrategy SupervisorStrategy() => RelayStrategies.Root;

    protected override void OnReceive(object message) => Unhandled(message);
}
