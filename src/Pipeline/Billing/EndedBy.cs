namespace AkkaProxy.Pipeline.Billing;

/// <summary>Who ended an exchange.</summary>
public enum EndedBy
{
    /// <summary>The upstream: it finished, failed, or closed.</summary>
    Upstream,

    /// <summary>The client disconnected or closed.</summary>
    Client,

    /// <summary>Nothing was read or written for longer than the idle timeout.</summary>
    IdleTimeout,

    /// <summary>The relay is shutting down.</summary>
    Shutdown,

    /// <summary>
    /// The relay refused or stopped it: a request it rejected, one of its limits (an oversize event), or
    /// its own failure (a stage that threw). A malformed upstream event does not end an exchange; it is
    /// relayed and listed in the billing record's warnings.
    /// </summary>
    Relay,
}
