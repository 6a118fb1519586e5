using Akka.Actor;

namespace AkkaProxy.Pipeline.Actors;

/// <summary>A parent of one role's actors (connections, socket pools) that only supervises them, with the role's strategy.</summary>
internal sealed class RoleActor(SupervisorStrategy strategy) : UntypedActor
{
    protected override SupervisorStrategy SupervisorStrategy() => strategy;

    protected override void OnReceive(object message) => Unhandled(message);
}
