using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Rewrite;

/// <summary>Replaces the <c>model</c> value with the upstream model (the provider prefix removed); nothing else changes.</summary>
internal sealed class ModelRewriteStage : ProxyStage
{
    public override string Name => "model-rewrite";

    public override void OnRequest(ProxyExchange exchange)
    {
        if (exchange.Route.UpstreamModel == exchange.Route.RequestedModel)
        {
            return;
        }

        RequestBodyInfo info = exchange.ReadRequestBody();
        if (info.Model is null)
        {
            return; // WebSocket turns and embedders may route on something other than the body.
        }

        exchange.RequestBody = JsonBodyEditor.ReplaceModel(exchange.RequestBody.Span, info, exchange.Route.UpstreamModel);
    }
}
