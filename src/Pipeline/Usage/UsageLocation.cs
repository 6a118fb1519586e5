namespace AkkaProxy.Pipeline.Usage;

/// <summary>Where in a JSON document a usage object was found.</summary>
internal enum UsageLocation : byte
{
    None = 0,

    /// <summary><c>{"usage":…}</c>: a whole response body, a Chat chunk, or Anthropic's <c>message_delta</c>.</summary>
    Root,

    /// <summary><c>{"response":{"usage":…}}</c>: a Responses stream event.</summary>
    Response,

    /// <summary><c>{"message":{"usage":…}}</c>: Anthropic's <c>message_start</c>.</summary>
    Message,

    /// <summary><c>{"amazon-bedrock-invocationMetrics":…}</c>: the last chunk of a Bedrock InvokeModel stream.</summary>
    InvocationMetrics,
}
