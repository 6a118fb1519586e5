using System.Text.Json;

namespace AkkaProxy.Hosting.Ledger;

/// <summary>
/// An enum's values as every ledger store writes them: kebab-case, as the records' JSON does
/// (<c>client-aborted</c>), computed once per value.
/// </summary>
internal static class LedgerNames<T>
    where T : struct, Enum
{
    private static readonly Dictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v => JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString()));

    private static readonly Dictionary<string, T> Values = Names.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    /// <summary>The stored name of <paramref name="value"/>.</summary>
    public static string Of(T value) => Names.TryGetValue(value, out string? name) ? name : JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>The value a stored name stands for.</summary>
    /// <exception cref="FormatException">A name this code does not know.</exception>
    public static T Parse(string name) => Values.TryGetValue(name, out T value) ? value : throw new FormatException($"The ledger holds an unknown {typeof(T).Name} '{name}'.");
}
