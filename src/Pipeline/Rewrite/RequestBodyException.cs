namespace AkkaProxy.Pipeline.Rewrite;

/// <summary>The client's request body cannot be relayed; the message says what to fix.</summary>
public sealed class RequestBodyException(string message) : Exception(message);
