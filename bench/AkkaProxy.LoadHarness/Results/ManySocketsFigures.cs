using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Results;

/// <summary>Many sockets open at once, each running turns back to back.</summary>
public sealed record ManySocketsFigures(string Target, int Sockets, int Opened, int EventsPerTurn, LoadResult Load, ProcessUsage Server, ProcessUsage Fake, ProcessUsage Client);
