using System.Text.Json;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// The one spelling of an outcome and of the side that ended an exchange, wherever the relay writes
/// it: the records' JSON, the ledger, metrics, spans, the admin page and the docs: kebab-case
/// (<c>client-aborted</c>, <c>upstream-error</c>, <c>idle-timeout</c>), computed once per value.
/// </summary>
internal static class RecordNames
{
    private static readonly Dictionary<ExchangeOutcome, string> Outcomes = Enum.GetValues<ExchangeOutcome>().ToDictionary(v => v, v => Kebab(v.ToString()));

    private static readonly Dictionary<EndedBy, string> Sides = Enum.GetValues<EndedBy>().ToDictionary(v => v, v => Kebab(v.ToString()));

    public static string Outcome(ExchangeOutcome outcome) => Outcomes.TryGetValue(outcome, out string? name) ? name : Kebab(outcome.ToString());

    public static string Side(EndedBy endedBy) => Sides.TryGetValue(endedBy, out string? name) ? name : Kebab(endedBy.ToString());

    private static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);
}
