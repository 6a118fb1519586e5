using Akka.Actor;

namespace AkkaProxy.Pipeline.Actors;

/// <summary>The supervisor strategies of the relay's tree, one per parent, each said once here.</summary>
internal static class RelayStrategies
{
    /// <summary>
    /// Connection supervisors: stopped on any failure. A supervisor's state is its open exchanges; a restart
    /// would forget them, where a stop bills them (PostStop) and shuts the connection's graphs down.
    /// </summary>
    public static SupervisorStrategy Connections { get; } = new OneForOneStrategy(_ => Directive.Stop);

    /// <summary>
    /// Socket pools: restarted, as often as it takes, with their state kept (the pool actor carries it across
    /// the restart), so leased sockets are not disposed and <c>max-sockets</c> still holds; the message
    /// that failed is lost (a lease it carried ends at its caller's own timeout).
    /// </summary>
    public static SupervisorStrategy SocketPools { get; } = new OneForOneStrategy(_ => Directive.Restart);

    /// <summary>
    /// The root's own children: the role parents (which do nothing that fails) and the billing actor,
    /// restarted on a failure: its records wait in the gateway's queue, not in the actor.
    /// </summary>
    public static SupervisorStrategy Root { get; } = new OneForOneStrategy(_ => Directive.Restart);
}
