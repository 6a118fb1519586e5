namespace AkkaProxy.Pipeline.Stages;

/// <summary>What a stage wants done with a response frame.</summary>
public enum FrameDecision
{
    /// <summary>Pass the frame (possibly replaced through <c>ref</c>) to the next stage towards the client.</summary>
    Forward,

    /// <summary>Drop the frame: stages nearer the client and the client never see it.</summary>
    Drop,
}
