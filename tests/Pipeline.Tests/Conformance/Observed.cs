using System.Text.Json;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>Reads values out of a fixture's <c>observed</c> JSON; absent and null read as empty, zero or false.</summary>
internal static class Observed
{
    /// <summary>The value at <paramref name="path"/>, or null when a step is absent or null.</summary>
    public static JsonElement? Find(JsonElement element, params string[] path)
    {
        foreach (string step in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.Null ? null : element;
    }

    /// <summary>Whether a non-null value sits at <paramref name="path"/>.</summary>
    public static bool Has(JsonElement element, params string[] path) => Find(element, path) is not null;

    /// <summary>The string at <paramref name="path"/>, or "".</summary>
    public static string Str(JsonElement element, params string[] path) =>
        Find(element, path) is { ValueKind: JsonValueKind.String } value ? value.GetString() ?? "" : "";

    /// <summary>The integer at <paramref name="path"/>, or 0.</summary>
    public static long Long(JsonElement element, params string[] path) =>
        Find(element, path) is { ValueKind: JsonValueKind.Number } value ? value.GetInt64() : 0;

    /// <summary>The number at <paramref name="path"/> as a decimal, or null.</summary>
    public static decimal? Decimal(JsonElement element, params string[] path) =>
        Find(element, path) is { ValueKind: JsonValueKind.Number } value ? value.GetDecimal() : null;

    /// <summary>The flag at <paramref name="path"/>, or false.</summary>
    public static bool Bool(JsonElement element, params string[] path) =>
        Find(element, path) is { ValueKind: JsonValueKind.True };
}
