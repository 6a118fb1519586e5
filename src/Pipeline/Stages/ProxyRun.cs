namespace AkkaProxy.Pipeline.Stages;

/// <summary>
/// One exchange flowing through the factory's stages: request stages in order, then its response
/// frames innermost first. Over HTTP the frames come from the connection's Akka.Streams graph
/// (<c>Streams/ConnectionGraph</c>), which reads only after the client has taken what was
/// written, so a slow client slows the upstream reads and memory stays bounded by the largest event.
/// </summary>
/// <remarks>Used by one task or graph at a time.</remarks>
public sealed class ProxyRun
{
    private readonly ProxyStreamFactory _factory;
    private bool _completed;

    internal ProxyRun(ProxyStreamFactory factory, ProxyExchange exchange)
    {
        _factory = factory;
        Exchange = exchange;
    }

    /// <summary>The factory whose stages this run passes.</summary>
    internal ProxyStreamFactory Factory => _factory;

    /// <summary>The exchange this run serves.</summary>
    public ProxyExchange Exchange { get; }

    /// <summary>True while the pump waits for the client to take what was written (a slow or stalled reader).</summary>
    internal bool WaitingForClient { get; set; }

    /// <summary>Passes the request through the stages, outermost first.</summary>
    public void ApplyRequestStages()
    {
        foreach (ProxyStage stage in _factory.Stages)
        {
            stage.OnRequest(Exchange);
        }
    }

    /// <summary>
    /// Passes one response frame through the stages, innermost first.
    /// Returns false when a stage dropped it; <paramref name="frame"/> holds what to forward otherwise.
    /// </summary>
    public bool ProcessFrame(ref ResponseFrame frame)
    {
        IReadOnlyList<ProxyStage> stages = _factory.Stages;
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            if (stages[i].OnResponseFrame(Exchange, ref frame) == FrameDecision.Drop)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Ends the run: every stage's completion hook, innermost first. Idempotent, and never throws: a
    /// hook that fails does not stop the others or fail a finished response; the failures are returned.
    /// </summary>
    /// <returns>The hooks' exceptions, or null when every hook succeeded.</returns>
    public AggregateException? Complete()
    {
        if (_completed)
        {
            return null;
        }

        _completed = true;
        List<Exception>? failures = null;
        IReadOnlyList<ProxyStage> stages = _factory.Stages;
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            try
            {
                stages[i].OnCompleted(Exchange);
            }
            catch (Exception ex)
            {
                (failures ??= []).Add(new InvalidOperationException($"Stage '{stages[i].Name}' failed in OnCompleted.", ex));
            }
        }

        return failures is null ? null : new AggregateException(failures);
    }
}
