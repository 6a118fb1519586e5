using Akka.Actor;
using AkkaProxy.Pipeline.Actors;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaProxy.Pipeline.Tests.Actors;

/// <summary>The relay's supervision tree: one root, a parent per role, an explicit strategy each.</summary>
public sealed class RelayActorsSpecs : Akka.TestKit.Xunit2.TestKit
{
    public RelayActorsSpecs() : base("akka.loglevel = WARNING")
    {
    }

    [Fact]
    public void TheRelaysActors_LiveUnderOneRoot_APerRoleParentEach()
    {
        RelayActors tree = RelayActors.For(Sys);
        Assert.Same(tree, RelayActors.For(Sys)); // once per system
        Assert.Equal("/user/akkaproxy", tree.Root.Path.ToStringWithoutAddress());
        Assert.Equal("/user/akkaproxy/connections", tree.Connections.Path.ToStringWithoutAddress());
        Assert.Equal("/user/akkaproxy/socket-pools", tree.SocketPools.Path.ToStringWithoutAddress());

        var gateway = new BillingGateway([], NullLogger<BillingGateway>.Instance);
        IActorRef billing = gateway.Start(Sys);
        Assert.Equal("/user/akkaproxy/billing", billing.Path.ToStringWithoutAddress());

        var scope = new ConnectionScope();
        IActorRef supervisor = scope.Supervisor(s => ConnectionSupervisor.Start(Sys, s, new RecordOutlet(gateway, null), PricingTable.Empty, TimeProvider.System, new ConnectionCounters()));
        Assert.Equal(tree.Connections.Path, supervisor.Path.Parent);
        Watch(supervisor);
        scope.Dispose();
        ExpectTerminated(supervisor);
    }

    [Fact]
    public void EachParentsStrategy_IsTheOneItsChildrenNeed()
    {
        var failure = new InvalidOperationException("bug");
        Assert.Equal(Directive.Stop, ((OneForOneStrategy)RelayStrategies.Connections).Decider.Decide(failure));
        Assert.Equal(Directive.Restart, ((OneForOneStrategy)RelayStrategies.SocketPools).Decider.Decide(failure));
        Assert.Equal(Directive.Restart, ((OneForOneStrategy)RelayStrategies.Root).Decider.Decide(failure));
    }
}
