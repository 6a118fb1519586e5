namespace AkkaProxy.LoadHarness.Results;

/// <summary>One long WebSocket turn through one socket: events relayed per second, and the middle process's CPU for it.</summary>
public sealed record OneSocketFigures(string Target, int Events, double Seconds, double ServerCpuSeconds, string? Error)
{
    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;
}
