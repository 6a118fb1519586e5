using AkkaProxy.Host.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Pooling;

/// <summary>Idle sockets are closed after the idle timeout, on a clock the test moves.</summary>
public sealed class UpstreamSocketIdleTests : RelayTestBase
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override string ExtraHocon => UpstreamSocketHocon.For(Upstream, maxSockets: 2, extra: ", idle-timeout = 5m");

    protected override void ConfigureServices(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_clock));

    [Fact]
    public async Task IdleSocket_IsClosedAfterTheIdleTimeout()
    {
        await PostStreamAsync("/v1/responses", """{"model":"wsp/pool","input":"hi","stream":true}""");
        Assert.Equal(1, Upstream.Pooled.OpenSockets);

        _clock.Advance(TimeSpan.FromMinutes(6));

        await WaitUntilAsync(() => Upstream.Pooled.OpenSockets == 0, "the idle socket is still open");
    }
}
