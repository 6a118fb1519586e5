namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The log source of our stage logics, made only when a logic logs. Akka's <c>GraphStageLogic(Shape)</c>
/// constructor builds one (and formats the shape's name into a string) for every logic at every
/// materialization, and keeps it for the graph's life: about 150 B per stage of every connection's and
/// every idle socket's graph. Our logics use the port-count constructor and this instead.
/// </summary>
internal static class StageLogSource
{
    /// <summary>A log source named after <paramref name="stage"/>.</summary>
    public static object For(object stage) => Akka.Event.LogSource.Create(stage.ToString() ?? stage.GetType().Name);
}
