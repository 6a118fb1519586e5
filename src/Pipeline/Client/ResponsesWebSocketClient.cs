using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Client;

/// <summary>
/// A client of OpenAI's Responses WebSocket mode (<c>GET /v1/responses</c>, upgraded), against OpenAI
/// itself or the relay. It holds the connection settings and one HTTP handler shared by every socket;
/// each <see cref="ResponsesConversation"/> it starts owns one socket at a time.
/// </summary>
/// <example>
/// <code>
/// await using var client = new ResponsesWebSocketClient(new ResponsesWebSocketClientOptions
/// {
///     Endpoint = new Uri("ws://127.0.0.1:8080/v1/responses"),
///     ApiKey = "relay-key",
/// });
/// await using ResponsesConversation chat = client.StartConversation();
/// await foreach (ResponsesEvent e in chat.StreamAsync(ResponsesTurn.FromJson("""{"model":"openai/gpt-4o","input":"Hi"}""")))
/// {
///     Console.WriteLine(e.Type);
/// }
/// // The next turn continues from the last response: previous_response_id is added.
/// </code>
/// </example>
/// <remarks>Thread-safe: conversations may be started and used from different threads (each one runs one turn at a time).</remarks>
public sealed class ResponsesWebSocketClient : IAsyncDisposable
{
    private readonly ResponsesWebSocketClientOptions _options;
    private readonly HttpMessageInvoker _invoker;
    private readonly ConcurrentDictionary<ResponsesConversation, byte> _conversations = new();
    private volatile bool _disposed;

    /// <summary>Creates a client; <paramref name="options"/> are validated and copied now.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range (the message names it).</exception>
    public ResponsesWebSocketClient(ResponsesWebSocketClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = new ResponsesWebSocketClientOptions
        {
            Endpoint = options.Endpoint,
            ApiKey = options.ApiKey,
            ConfigureConnection = options.ConfigureConnection,
            ConnectTimeout = options.ConnectTimeout,
            ReadTimeout = options.ReadTimeout,
            DrainTimeout = options.DrainTimeout,
            CloseTimeout = options.CloseTimeout,
            MaxEventBytes = options.MaxEventBytes,
            TimeProvider = options.TimeProvider,
        };

        // One handler for every socket: ClientWebSocket would otherwise build a handler and a connection pool per connect.
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }, disposeHandler: true);
    }

    /// <summary>
    /// Starts a conversation. It opens its socket at its first turn. With <paramref name="lastResponseId"/>
    /// it continues a chain from before (another process, a saved id): its first turn sends that id.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ResponsesConversation StartConversation(string? lastResponseId = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var conversation = new ResponsesConversation(this, _options, lastResponseId);
        _conversations.TryAdd(conversation, 0);
        return conversation;
    }

    /// <summary>Disposes every conversation still open (each closes its socket with 1000), then the shared handler.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (ResponsesConversation conversation in _conversations.Keys)
        {
            await conversation.DisposeAsync().ConfigureAwait(false);
        }

        _invoker.Dispose();
    }

    internal Task<ConversationSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ConversationSocket.ConnectAsync(_options, _invoker, cancellationToken);
    }

    internal void Forget(ResponsesConversation conversation) => _conversations.TryRemove(conversation, out _);
}
