namespace AkkaProxy.Bench.Shared;

/// <summary>
/// What the benchmark streams are made of, shared by the micro-benchmarks and the load harness's fake
/// upstream so both measure the same shapes: ids of realistic length, usage with cached and reasoning
/// tokens, and the tokens a model streams (leading spaces, punctuation, newlines, JSON-escaped quotes,
/// non-ASCII UTF-8). Compiled into both projects (linked source), not a library of its own.
/// </summary>
internal static class StreamVocabulary
{
    public const string Model = "gpt-4o-2024-08-06";
    public const long InputTokens = 1337;
    public const long CachedTokens = 1024;
    public const long ReasoningTokens = 64;
    public const string ResponseId = "resp_68a1c0ffee0a8190b5a2b83d4f6e0b9b0c2ab9d96c1b6f09";
    public const string ItemId = "msg_68a1c0ffee3c8190a87f1e2d3c4b5a69788796a5b4c3d2e1";
    public const string ChatId = "chatcmpl-C4kZr8sQ1mXvYw2TnB7pLd9EfGhJa";
    public const long CreatedAt = 1755012345;

    public static readonly string[] Tokens =
    [
        "The", " relay", " reads", " each", " event", " once", ",", " folds", " the", " usage", " into", " the",
        " exchange", " and", " forwards", " the", " bytes", " unchanged", ".", "\n\n", "It", " never", " copies",
        " a", " frame", " it", " does", " not", " have", " to", ":", " \"", "zero", "-copy", "\"", " means", " the",
        " same", " buffer", " goes", " from", " the", " upstream", " to", " the", " client", " — ", "déjà", " vu",
        " for", " the", " GC", ".", " Usage", " arrives", " at", " the", " end", ";", " cached", "_tokens", " and",
        " reasoning", "_tokens", " are", " counted", " too", ".\n",
    ];

    /// <summary>The text of the first <paramref name="deltas"/> tokens, as the done events repeat it.</summary>
    public static string FullText(int deltas)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < deltas; i++)
        {
            sb.Append(Tokens[i % Tokens.Length]);
        }

        return sb.ToString();
    }

    /// <summary>JSON string escaping as OpenAI does it: quotes, backslashes and control characters; UTF-8 left raw.</summary>
    public static string Json(string value)
    {
        var sb = new System.Text.StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append("\\\\"),
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                < ' ' => sb.Append($"\\u{(int)c:x4}"),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }
}
