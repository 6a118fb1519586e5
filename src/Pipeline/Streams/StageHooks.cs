using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>Calls a run of stages' response-frame hooks, innermost first: the one loop the decoder and the stage flows share.</summary>
internal static class StageHooks
{
    /// <returns>False when a stage dropped the frame (the stages after it do not see it); <paramref name="frame"/> holds what to forward otherwise.</returns>
    public static bool Pass(ProxyStage[] innermostFirst, ProxyExchange exchange, ref ResponseFrame frame)
    {
        for (int i = 0; i < innermostFirst.Length; i++)
        {
            if (innermostFirst[i].OnResponseFrame(exchange, ref frame) == FrameDecision.Drop)
            {
                return false;
            }
        }

        return true;
    }
}
