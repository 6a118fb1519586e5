namespace AkkaProxy.Hosting.Lifecycle;

/// <summary>How the relay stops (<c>akkaproxy.shutdown</c>).</summary>
internal sealed class ShutdownOptions
{
    /// <summary>
    /// Longest the relay lets in-flight HTTP streams and WebSocket turns finish once it was told to stop
    /// (SIGTERM); what is still open then is ended and billed as ended by shutdown. 0s: end them at once.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (DrainTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException($"akkaproxy.shutdown.drain-timeout = {DrainTimeout} must not be negative.");
        }
    }
}
