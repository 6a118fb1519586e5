using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>A client WebSocket to the relay's <c>/v1/responses</c>, with helpers to read events.</summary>
public sealed class RelaySocket : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[4 * 1024 * 1024];

    private RelaySocket(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>Every text message received, in order.</summary>
    public List<string> Received { get; } = [];

    /// <summary>Connects. With <paramref name="smallReceiveBuffer"/> the client's TCP receive buffer is fixed at 8 KiB
    /// (no kernel autotuning), so a client that does not read pushes back after kilobytes, not megabytes.</summary>
    public static async Task<RelaySocket> ConnectAsync(Uri relay, Action<ClientWebSocketOptions>? configure = null, string? query = null, bool smallReceiveBuffer = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (configure is null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + RelayTestHost.RelayKey);
        }
        else
        {
            configure(socket.Options);
        }

        var uri = new UriBuilder(relay) { Scheme = "ws", Path = "/v1/responses", Query = query ?? "" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        if (smallReceiveBuffer)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 8 * 1024 };
                    await tcp.ConnectAsync(context.DnsEndPoint, ct);
                    return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
                },
            };
            await socket.ConnectAsync(uri, new HttpMessageInvoker(handler), timeout.Token);
        }
        else
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }

        return new RelaySocket(socket);
    }

    public Task SendAsync(string json) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next text message, or null when the relay closed the socket.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        int count = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result = await Socket.ReceiveAsync(_buffer.AsMemory(count), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                string text = Encoding.UTF8.GetString(_buffer, 0, count);
                Received.Add(text);
                return text;
            }
        }
    }

    /// <summary>Reads until an event of one of <paramref name="types"/> arrives; returns it parsed.</summary>
    public async Task<JsonElement> ReceiveUntilAsync(params string[] types)
    {
        while (true)
        {
            string text = await ReceiveAsync() ?? throw new InvalidOperationException($"closed before {string.Join('/', types)}: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
            JsonElement root = JsonDocument.Parse(text).RootElement;
            if (types.Contains(root.GetProperty("type").GetString()))
            {
                return root;
            }
        }
    }

    /// <summary>Reads until the relay closes; returns the close status.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync()
    {
        while (await ReceiveAsync() is not null)
        {
        }

        return (Socket.CloseStatus, Socket.CloseStatusDescription);
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "test done", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        Socket.Dispose();
    }
}
