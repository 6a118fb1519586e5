using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using AkkaProxy.Cluster.Affinity;
using AkkaProxy.Cluster.Limits;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// Every message of the relay's that crosses nodes (the keys' limits, the response directory) goes
/// through the relay's own serializers (not Akka's JSON fallback) and comes back equal, actor
/// references included, in a system with remoting as a cluster node has it.
/// </summary>
public sealed class ClusterSerializationTests : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("akkaproxy", ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            """).WithFallback(ConfigurationFactory.ParseString(KeyLimitsSharding.SerializationHocon))
              .WithFallback(ConfigurationFactory.ParseString(SocketAffinitySharding.SerializationHocon)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public void EveryMessage_RoundTripsThroughTheRelaysSerializer()
    {
        IActorRef holder = _system.ActorOf(Props.Empty, "key-leases");
        var at = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        object[] messages =
        [
            new LeaseAsk("team-a", holder, 3, Prefetch: true, NeedsBudget: false, NeedsTokens: true, new KeyLimits(60, -1, 12.5m, AkkaProxy.Hosting.Configuration.BudgetPeriod.Week)),
            new LeaseGrant("team-a", at, at.AddHours(-10), 7, 0.125m, -1, TimeSpan.FromSeconds(29.5)),
            new LeaseGrant("team-b", at, at, -1, -1, 4_000_000_000L, TimeSpan.FromMilliseconds(1)),
            new LeaseClosed("team-a", KeyLimit.Budget, 12.345678m, at.AddDays(1), TimeSpan.FromHours(13)),
            new LeaseClosed("team-a", KeyLimit.Requests, 20, at.AddMinutes(1), TimeSpan.FromSeconds(1)),
            new LeaseReclaim("team-a", at, KeyLimit.Tokens),
            new LeaseReturn("team-a", holder, at, KeyLimit.Budget, 0, 0.01m, 0),
            new KeySpend("team-a", holder, at.AddSeconds(3), 1234, 0.0042m),
            new KeySpend("team-ü", holder, at, 0, null),
            new LeaseReset("team-a", -4_611_686_018_427_387_904L),
            new LeaseDropped("team-a", holder, 42),
            new SocketHeld("resp_0a1b", "http://10.0.0.5:8080", "akka.tcp://akkaproxy@10.0.0.5:4053"),
            new SocketReleased("resp_0a1b", "http://10.0.0.5:8080"),
            new WhereIsSocket("resp_0a1b"),
            new SocketAt("resp_0a1b", ""),
        ];
        // Every message type of the protocol is among them.
        Type[] types = [.. typeof(IKeyLimitsMessage).Assembly.GetTypes()
            .Where(t => (typeof(IKeyLimitsMessage).IsAssignableFrom(t) || typeof(IAffinityMessage).IsAssignableFrom(t)) && !t.IsInterface)];
        Assert.Equal(types.OrderBy(t => t.Name), messages.Select(m => m.GetType()).Distinct().OrderBy(t => t.Name));

        Serialization serialization = _system.Serialization;
        foreach (object message in messages)
        {
            Serializer serializer = serialization.FindSerializerFor(message);
            Assert.IsType(message is IAffinityMessage ? typeof(AffinitySerializer) : typeof(KeyLimitsSerializer), serializer);
            byte[] bytes = serializer.ToBinary(message);
            string manifest = Serialization.ManifestFor(serializer, message);
            object back = serialization.Deserialize(bytes, serializer.Identifier, manifest);
            Assert.Equal(message, back);
        }
    }
}
