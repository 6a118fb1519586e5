using Akka.Actor;
using AkkaProxy.Cluster.Affinity;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// One bucket of the response directory: the last node to hold a response is where its continuation
/// goes; a release by a node that no longer holds it changes nothing; an entry older than the sockets'
/// idle timeout, or past the bucket's capacity, is gone.
/// </summary>
public sealed class ResponseDirectoryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
    private ActorSystem _system = null!;
    private IActorRef _bucket = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("directory-test");
        _bucket = _system.ActorOf(ResponseDirectoryEntity.Props(_clock, TimeSpan.FromMinutes(5)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task TheLastHolderWins_AReleaseByAnotherNodeChangesNothing_AndOldEntriesAreGone()
    {
        _bucket.Tell(new SocketHeld("resp_1", "http://a:1", "akka.tcp://akkaproxy@a:1"));
        Assert.Equal("http://a:1", await WhereAsync("resp_1"));

        _bucket.Tell(new SocketHeld("resp_1", "http://b:2", "akka.tcp://akkaproxy@b:2")); // a later turn elsewhere produced it again (a retried id)
        _bucket.Tell(new SocketReleased("resp_1", "http://a:1"));
        Assert.Equal("http://b:2", await WhereAsync("resp_1"));

        _bucket.Tell(new SocketReleased("resp_1", "http://b:2"));
        Assert.Equal("", await WhereAsync("resp_1"));

        _bucket.Tell(new SocketHeld("resp_2", "http://a:1", "akka.tcp://akkaproxy@a:1"));
        Assert.Equal("http://a:1", await WhereAsync("resp_2")); // written at this time
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("", await WhereAsync("resp_2")); // its socket was closed as idle by now
    }

    [Fact]
    public async Task PastItsCapacity_ABucketForgetsItsOldestEntriesFirst()
    {
        for (int i = 0; i <= ResponseDirectoryEntity.Capacity; i++)
        {
            _bucket.Tell(new SocketHeld($"resp_{i}", "http://a:1", "akka.tcp://akkaproxy@a:1"));
        }

        Assert.Equal("", await WhereAsync("resp_0"));
        Assert.Equal("http://a:1", await WhereAsync("resp_1"));
        Assert.Equal("http://a:1", await WhereAsync($"resp_{ResponseDirectoryEntity.Capacity}"));
    }

    private async Task<string> WhereAsync(string responseId) =>
        (await _bucket.Ask<SocketAt>(new WhereIsSocket(responseId), TimeSpan.FromSeconds(5))).Node;
}
