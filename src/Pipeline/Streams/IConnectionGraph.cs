namespace AkkaProxy.Pipeline.Streams;

/// <summary>A materialized graph a connection's supervisor watches and stops: an HTTP connection's, or a WebSocket session's.</summary>
internal interface IConnectionGraph
{
    /// <summary>Completes when the graph has stopped (faulted when a stage failed).</summary>
    Task Stopped { get; }

    /// <summary>Stops the graph (the connection closed, or its supervisor stopped).</summary>
    void Shutdown();
}
