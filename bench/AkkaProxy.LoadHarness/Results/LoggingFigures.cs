namespace AkkaProxy.LoadHarness.Results;

/// <summary>The same scenario against the relay with <c>Logging.LogLevel.Default</c> at Warning and at Information (one billing log line per request).</summary>
public sealed record LoggingFigures(RunFigures Warning, RunFigures Information, long InformationLogBytes);
