using AkkaProxy.Host.Tests.Fakes;

namespace AkkaProxy.Host.Tests.Pooling;

/// <summary>Providers for the bridge's tests: <c>wsp</c> over pooled sockets, <c>ssep</c> over HTTP SSE, both at the fake's <c>/pool/v1</c>.</summary>
internal static class UpstreamSocketHocon
{
    public static string For(FakeUpstream upstream, int maxSockets, string extra = "")
    {
        string url = upstream.BaseUrl.ToString().TrimEnd('/');
        return $$"""
            akkaproxy.routing.providers {
              wsp { kind = openai, base-url = "{{url}}/pool/v1", api-key = "sk-pool", transport = websocket }
              ssep { kind = openai, base-url = "{{url}}/pool/v1", api-key = "sk-pool" }
            }
            akkaproxy.pricing { "pool*" { input = 2.00, cached-input = 0.50, output = 8.00 } }
            akkaproxy.upstream-websocket { max-sockets = {{maxSockets}}, lease-timeout = 20s {{extra}} }
            """;
    }
}
