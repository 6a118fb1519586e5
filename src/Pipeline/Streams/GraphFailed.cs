namespace AkkaProxy.Pipeline.Streams;

/// <summary>Told to a graph's owner (its connection's supervisor) when the graph failed; a graph that stops normally tells nothing.</summary>
internal sealed record GraphFailed(Exception? Failure);
