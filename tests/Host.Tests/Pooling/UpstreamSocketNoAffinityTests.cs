using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Pooling;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Pooling;

/// <summary>With <c>affinity = false</c> a continuation takes the socket idle longest, not the one holding its response.</summary>
public sealed class UpstreamSocketNoAffinityTests : RelayTestBase
{
    protected override string ExtraHocon => UpstreamSocketHocon.For(Upstream, maxSockets: 2, extra: ", affinity = false");

    [Fact]
    public async Task AffinityOff_ContinuationTakesTheSocketIdleLongest()
    {
        const string gated = """{"model":"wsp/pool-gated","input":"hi","stream":true}""";
        Task<string> first = PostStreamAsync("/v1/responses", gated);
        Task<string> second = PostStreamAsync("/v1/responses", gated);
        await Upstream.Pooled.GateWaiting.WaitAsync(TimeSpan.FromSeconds(20));
        await Upstream.Pooled.GateWaiting.WaitAsync(TimeSpan.FromSeconds(20));
        Upstream.Pooled.Gate.Release(2);
        await Task.WhenAll(first, second);

        // A plain turn takes the socket idle longest; the other socket is now the one idle longest.
        await PostStreamAsync("/v1/responses", """{"model":"wsp/pool","input":"hi","stream":true}""");
        (int recent, _, _, string? recentId) = Upstream.Pooled.Turns.Last();

        using HttpResponseMessage refused = await Relay.Http.SendAsync(Post("/v1/responses", $$"""{"model":"wsp/pool","input":"next","stream":true,"store":false,"previous_response_id":"{{recentId}}"}"""));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode); // the other socket does not hold it
        Assert.Contains("previous_response_not_found", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotEqual(recent, Upstream.Pooled.Turns.Last().Connection);
        SocketPoolCounters counters = Relay.App.Services.GetRequiredService<UpstreamSocketPools>().Counters;
        Assert.Equal(0, counters.AffinityHits + counters.AffinityMisses);
    }
}
