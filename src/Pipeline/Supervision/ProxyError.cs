namespace AkkaProxy.Pipeline.Supervision;

/// <summary>An expected failure, as a value: what went wrong, on which side, in which phase.</summary>
/// <param name="Side">Which party caused it.</param>
/// <param name="Phase">When it happened.</param>
/// <param name="Code">A stable machine-readable code (<c>upstream_reset</c>, <c>event_too_large</c>, …).</param>
/// <param name="Message">What happened and, where it helps, what to change.</param>
public sealed record ProxyError(ErrorSide Side, ErrorPhase Phase, string Code, string Message);

/// <summary>Which party an error comes from.</summary>
public enum ErrorSide
{
    /// <summary>The client.</summary>
    Client,

    /// <summary>The upstream provider.</summary>
    Upstream,

    /// <summary>The relay itself (its limits, its configuration, its shutdown).</summary>
    Relay,
}

/// <summary>When an error happened.</summary>
public enum ErrorPhase
{
    /// <summary>Before anything went upstream.</summary>
    Request,

    /// <summary>Sending the request or waiting for the response headers.</summary>
    Connect,

    /// <summary>While the response body was relayed.</summary>
    Body,
}
