using AkkaProxy.Host.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace AkkaProxy.Host.Tests.Observability;

/// <summary>With an OTLP endpoint the host builds a tracer provider (the relay's source, ASP.NET Core's requests) beside its meter provider.</summary>
public sealed class TraceExportTests : RelayTestBase
{
    protected override string ExtraHocon => """akkaproxy.observability.otlp-endpoint = "http://127.0.0.1:9" """;

    [Fact]
    public void AnOtlpEndpoint_TurnsTraceExportOn()
    {
        Assert.NotNull(Relay.App.Services.GetService<TracerProvider>());
    }
}

/// <summary>Without an OTLP endpoint nothing exports spans: no tracer provider.</summary>
public sealed class NoTraceExportTests : RelayTestBase
{
    [Fact]
    public void ByDefault_ThereIsNoTracerProvider()
    {
        Assert.Null(Relay.App.Services.GetService<TracerProvider>());
    }
}
