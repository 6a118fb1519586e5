using System.Globalization;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>Collects field-by-field comparisons of llmproxy's output with ours; a difference is recorded, never thrown.</summary>
internal sealed class FieldComparison
{
    private readonly List<string> _differences = [];

    /// <summary>How many fields were compared.</summary>
    public int Compared { get; private set; }

    /// <summary>One line per field that differs: <c>field: llmproxy=… ours=…</c>.</summary>
    public IReadOnlyList<string> Differences => _differences;

    /// <summary>Compares two strings; null and empty are the same (llmproxy reports absent strings as "").</summary>
    public void Equal(string field, string? llmproxy, string? ours)
    {
        Compared++;
        if (!string.Equals(llmproxy ?? "", ours ?? "", StringComparison.Ordinal))
        {
            _differences.Add($"{field}: llmproxy={Show(llmproxy)} ours={Show(ours)}");
        }
    }

    /// <summary>Compares two counters.</summary>
    public void Equal(string field, long llmproxy, long ours) =>
        Equal(field, llmproxy.ToString(CultureInfo.InvariantCulture), ours.ToString(CultureInfo.InvariantCulture));

    /// <summary>Compares two flags.</summary>
    public void Equal(string field, bool llmproxy, bool ours) =>
        Equal(field, llmproxy ? "true" : "false", ours ? "true" : "false");

    /// <summary>Compares two amounts within <paramref name="tolerance"/>.</summary>
    public void Close(string field, decimal llmproxy, decimal ours, decimal tolerance)
    {
        Compared++;
        if (Math.Abs(llmproxy - ours) > tolerance)
        {
            _differences.Add($"{field}: llmproxy={llmproxy.ToString(CultureInfo.InvariantCulture)} ours={ours.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static string Show(string? value) => value is null or "" ? "\"\"" : $"\"{value}\"";
}
