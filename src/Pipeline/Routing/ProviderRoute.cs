namespace AkkaProxy.Pipeline.Routing;

/// <summary>Where one request goes.</summary>
/// <param name="Provider">The provider chosen.</param>
/// <param name="RequestedModel">The model the client asked for, as it sent it.</param>
/// <param name="UpstreamModel">The model the provider receives (prefix removed).</param>
public sealed record ProviderRoute(Provider Provider, string RequestedModel, string UpstreamModel);
