namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// The URLs Azure OpenAI's clients call, which the relay serves beside OpenAI's: the deployment form
/// (<c>/openai/deployments/{deployment}/chat/completions?api-version=…</c>, the deployment being the
/// relay's model name, provider prefix and all) and the v1 surface (<c>/openai/v1/...</c>, the model in the body).
/// </summary>
internal static class AzurePaths
{
    public const string DeploymentsPrefix = "/openai/deployments/";
    public const string ChatSuffix = "/chat/completions";

    /// <summary>Reads the deployment of a deployment-form Chat Completions path; false for any other path.</summary>
    public static bool TryParseDeployment(string? path, out string deployment)
    {
        deployment = "";
        if (path is null || !path.StartsWith(DeploymentsPrefix, StringComparison.Ordinal) || !path.EndsWith(ChatSuffix, StringComparison.Ordinal)
            || path.Length <= DeploymentsPrefix.Length + ChatSuffix.Length)
        {
            return false;
        }

        deployment = Uri.UnescapeDataString(path[DeploymentsPrefix.Length..^ChatSuffix.Length]);
        return deployment.Length > 0;
    }

    /// <summary>Whether the client called one of Azure's URL shapes (its query then holds an <c>api-version</c> meant for Azure alone).</summary>
    public static bool IsAzureShaped(string? path) => path is not null && path.StartsWith("/openai/", StringComparison.Ordinal);
}
