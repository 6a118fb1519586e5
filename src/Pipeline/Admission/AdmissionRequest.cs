using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Admission;

/// <summary>A routed request asking to go upstream: what <see cref="IRequestAdmission.Admit"/> decides on.</summary>
/// <param name="KeyId">The authenticated relay key's id; null when the relay is open.</param>
/// <param name="Api">The API asked.</param>
/// <param name="Route">Where the request would go: the provider and the model it would receive.</param>
/// <param name="RequestedModel">The model as the client named it (<c>openai/gpt-4o</c>).</param>
public readonly record struct AdmissionRequest(string? KeyId, ApiKind Api, ProviderRoute Route, string RequestedModel);
