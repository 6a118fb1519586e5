namespace AkkaProxy.Hosting.Observability;

/// <summary>Exporters of metrics and trace spans (<c>akkaproxy.observability</c>); both are off unless configured.</summary>
internal sealed class ObservabilityOptions
{
    /// <summary>Serve a Prometheus scrape endpoint at <see cref="PrometheusPath"/>.</summary>
    public bool Prometheus { get; set; }

    /// <summary>The scrape endpoint's path. It has no authentication: expose it to the scraper only.</summary>
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>Export metrics and trace spans (the relay's and ASP.NET Core's) over OTLP to this endpoint (for example <c>http://collector:4317</c>); empty: no OTLP export.</summary>
    public string OtlpEndpoint { get; set; } = "";
}
