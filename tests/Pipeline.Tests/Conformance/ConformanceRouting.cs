using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// The routing every conformance run uses: an <c>openai</c> and an <c>anthropic</c> provider, and the
/// model map a deployment of the relay would reasonably carry (<c>gpt-*</c>, <c>o1*</c>, <c>o3*</c>,
/// <c>o4*</c> to OpenAI, <c>claude-*</c> to Anthropic) with no default provider.
/// </summary>
internal static class ConformanceRouting
{
    public static ModelRouter Router { get; } = new(new RoutingOptions
    {
        Providers =
        {
            new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "http://127.0.0.1:1/v1" },
            new ProviderOptions { Name = "anthropic", Kind = ProviderKind.Anthropic, BaseUrl = "http://127.0.0.1:1/v1" },
        },
        ModelMap =
        {
            ["gpt-*"] = "openai",
            ["o1*"] = "openai",
            ["o3*"] = "openai",
            ["o4*"] = "openai",
            ["claude-*"] = "anthropic",
        },
    });

    /// <summary>A route to a provider that speaks <paramref name="api"/>, for driving response runs.</summary>
    public static ProviderRoute RouteFor(ApiKind api)
    {
        string model = api == ApiKind.AnthropicMessages ? "anthropic/claude-x" : "openai/gpt-x";
        return Router.TryResolve(model, out ProviderRoute route, out string error)
            ? route
            : throw new InvalidOperationException(error);
    }
}
