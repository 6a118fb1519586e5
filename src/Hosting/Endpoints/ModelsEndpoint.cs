using System.Text.Json;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary><c>GET /v1/models</c>: every routable model, in OpenAI's list shape.</summary>
internal static class ModelsEndpoint
{
    public static async Task ListAsync(HttpContext context)
    {
        var keys = context.RequestServices.GetRequiredService<RelayKeyValidator>();
        string? presented = RelayKeyValidator.PresentedKey(context.Request);
        if (!keys.TryAuthenticate(presented, out _))
        {
            await AuthFailure.WriteAsync(context, ApiKind.ChatCompletions, presented is not null).ConfigureAwait(false);
            return;
        }

        var router = context.RequestServices.GetRequiredService<ModelRouter>();
        var ids = new List<(string Id, string Owner)>();
        foreach (Provider provider in router.Providers.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            ids.AddRange(provider.Models.Select(model => ($"{provider.Name}/{model}", provider.Name)));
        }

        ids.AddRange(router.ModelMap.Where(e => !e.Key.Contains('*')).Select(e => (e.Key, e.Value.Name)));
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach ((string id, string owner) in ids.DistinctBy(i => i.Id))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("object", "model");
            json.WriteNumber("created", 0);
            json.WriteString("owned_by", owner);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
