namespace AkkaProxy.Pipeline.Client;

/// <summary>What a turn says about <c>previous_response_id</c>.</summary>
internal enum PreviousResponseChoice
{
    /// <summary>Not set by the caller: the conversation sends its last response id, if it has one.</summary>
    Automatic,

    /// <summary>Set by the caller to an id: sent as given.</summary>
    Explicit,

    /// <summary>Set by the caller to null: no <c>previous_response_id</c> is sent.</summary>
    None,
}
