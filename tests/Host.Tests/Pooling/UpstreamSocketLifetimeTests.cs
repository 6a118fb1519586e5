using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Pooling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Pooling;

/// <summary>The pool's lifetime and idle timeout, on a clock the test moves.</summary>
public sealed class UpstreamSocketLifetimeTests : RelayTestBase
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override string ExtraHocon => UpstreamSocketHocon.For(Upstream, maxSockets: 2, extra: ", idle-timeout = 2h, lifetime = 55m");

    protected override void ConfigureServices(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_clock));

    private const string Body = """{"model":"wsp/pool","input":"hi","stream":true}""";

    [Fact]
    public async Task SocketPastItsLifetime_IsClosedAndReplacedBeforeTheNextTurn()
    {
        await PostStreamAsync("/v1/responses", Body);
        _clock.Advance(TimeSpan.FromMinutes(54));
        await PostStreamAsync("/v1/responses", Body);
        Assert.Equal(1, Upstream.Pooled.Connections);

        _clock.Advance(TimeSpan.FromMinutes(2)); // 56 minutes since the socket opened
        string body = await PostStreamAsync("/v1/responses", Body);

        Assert.Contains($"from {FakePooledSocket.ResponseId(2, 1)}", body, StringComparison.Ordinal);
        Assert.Equal(2, Upstream.Pooled.Connections);
        await WaitUntilAsync(() => Upstream.Pooled.OpenSockets == 1, "the expired socket is still open");
        Assert.Equal(1, Relay.App.Services.GetRequiredService<UpstreamSocketPools>().Counters.Expired);
    }
}
