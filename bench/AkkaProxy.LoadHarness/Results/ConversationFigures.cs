namespace AkkaProxy.LoadHarness.Results;

/// <summary>
/// One transport's conversations: time to first event (ms) per round, conversation and turn, and what
/// the fake upstream counted meanwhile (new connections, turns that missed the socket's cache, turns).
/// </summary>
public sealed record ConversationFigures(string Transport, IReadOnlyList<double[][]> Rounds, long Connections, long Misses, long Turns)
{
    /// <summary>The median time to first event of turn <paramref name="turn"/> (0-based) over every round and conversation.</summary>
    public double MedianMs(int turn) => Median(Rounds.SelectMany(round => round.Select(conversation => conversation[turn])));

    /// <summary>The median over every continuation turn (the second on) of every round and conversation.</summary>
    public double ContinuationMedianMs => Median(Rounds.SelectMany(round => round.SelectMany(conversation => conversation.Skip(1))));

    public int TurnCount => Rounds.Count == 0 || Rounds[0].Length == 0 ? 0 : Rounds[0][0].Length;

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
