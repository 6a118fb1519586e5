using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Results;

/// <summary>One scenario at one concurrency against one target: what the clients saw, and what the middle process, the fake and the load generator used.</summary>
public sealed record RunFigures(string Scenario, int Concurrency, string Target, LoadResult Load, ProcessUsage Server, ProcessUsage Fake, ProcessUsage Client);
