using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Rewrite;

/// <summary>Replaces the <c>model</c> value with the upstream model (the provider prefix removed), or adds it when the client named the model in the URL; nothing else changes.</summary>
internal sealed class ModelRewriteStage : ProxyStage
{
    public override string Name => "model-rewrite";

    public override void OnRequest(ProxyExchange exchange)
    {
        if (exchange.ModelFromPath)
        {
            // The client named the model in the URL (an Azure client's deployment): the upstream gets it in the body, where the rest of the API's servers read it.
            RequestBodyInfo named = exchange.ReadRequestBody();
            exchange.RequestBody = named.Model is null
                ? JsonBodyEditor.InsertModel(exchange.RequestBody.Span, named, exchange.Route.UpstreamModel)
                : JsonBodyEditor.ReplaceModel(exchange.RequestBody.Span, named, exchange.Route.UpstreamModel);
            return;
        }

        if (exchange.Route.UpstreamModel == exchange.Route.RequestedModel
            || exchange.ModelInPathOnly)
        {
            // Gemini and Bedrock name the model in the path: the body is the provider's (InvokeModel's, the
            // model's own), and a "model" member in it is the model's business, never the relay's route.
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
