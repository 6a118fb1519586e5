using System.Diagnostics;
using System.Reflection;

namespace AkkaProxy.Pipeline.Diagnostics;

/// <summary>
/// The relay's trace spans: one <see cref="ActivitySource"/>, <see cref="SourceName"/>, with one span
/// per HTTP exchange and one per WebSocket turn (kind <see cref="ActivityKind.Client"/>: the relay
/// calls the provider), named <c>{gen_ai.operation.name} {gen_ai.request.model}</c> and tagged with
/// the OpenTelemetry GenAI semantic-convention attributes. A span ends when its exchange is billed,
/// and its usage attributes come from the billing record. Listen with an
/// <see cref="ActivityListener"/> or OpenTelemetry's <c>AddSource(RelayTracing.SourceName)</c>;
/// nobody listening, the relay creates no span and allocates nothing for them.
/// </summary>
public static class RelayTracing
{
    /// <summary>The activity source's name, <c>AkkaProxy.Relay</c> (the meter of the host has the same name).</summary>
    public const string SourceName = "AkkaProxy.Relay";

    /// <summary>The source, versioned with the library.</summary>
    internal static ActivitySource Source { get; } = new(SourceName, Version);

    /// <summary>The library's version, the source's version.</summary>
    public static string Version => typeof(RelayTracing).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(RelayTracing).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}
