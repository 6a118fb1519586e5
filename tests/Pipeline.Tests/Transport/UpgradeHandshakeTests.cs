using System.Net.WebSockets;
using System.Text;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.Transport;

/// <summary>The client side of the WebSocket opening handshake: the request's bytes and every check on the answer.</summary>
public sealed class UpgradeHandshakeTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ=="; // RFC 6455 §1.3's example
    private const string Accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    [Fact]
    public void TheAcceptValue_IsRfc6455sExample() => Assert.Equal(Accept, UpgradeHandshake.AcceptFor(Key));

    [Fact]
    public void TheRequest_CarriesTheHandshake_TheOffer_AndTheHeadersInOrder()
    {
        byte[] bytes = UpgradeHandshake.Request(new Uri("ws://upstream.test:8080/v1/responses?model=gpt-4o"), Key, offerDeflate: true,
            [new("OpenAI-Beta", "responses=v1"), new("Authorization", "Bearer sk-1")]);
        string text = Encoding.Latin1.GetString(bytes);

        Assert.StartsWith("GET /v1/responses?model=gpt-4o HTTP/1.1\r\nHost: upstream.test:8080\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: websocket\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: Upgrade\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Key: " + Key + "\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; client_no_context_takeover\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\nOpenAI-Beta: responses=v1\r\nAuthorization: Bearer sk-1\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRequest_OnTheDefaultPort_NamesTheHostAlone_AndWithoutCompression_OffersNothing()
    {
        string text = Encoding.Latin1.GetString(UpgradeHandshake.Request(new Uri("wss://api.openai.com/v1/responses"), Key, offerDeflate: false, []));

        Assert.Contains("\r\nHost: api.openai.com\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x-ok", "value", true)]
    [InlineData("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true)]
    [InlineData("Host", "evil.test", false)]
    [InlineData("sec-websocket-key", "x", false)]
    [InlineData("Connection", "close", false)]
    [InlineData("x-bad name", "v", false)]
    [InlineData("x-split", "v\r\nInjected: yes", false)]
    [InlineData("x-nul", "v\0", false)]
    [InlineData("", "v", false)]
    public void OnlyAHeaderTheUpgradeCanCarry_GoesOnIt(string name, string value, bool carried) =>
        Assert.Equal(carried, UpgradeHandshake.CanCarry(name, value));

    [Fact]
    public async Task TheAnswer_ReadOneByteAtATime_IsParsed_AndBytesReadPastItAreKept()
    {
        byte[] frame = [0x81, 0x02, (byte)'h', (byte)'i'];
        byte[] wire = [.. Encoding.Latin1.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Accept}\r\nx-extra: a\r\nX-Extra: b\r\n\r\n"), .. frame];

        var trickle = new TrickleStream(wire);
        (UpgradeAnswer answer, byte[] none) = await UpgradeHandshake.ReadAnswerAsync(trickle, CancellationToken.None);
        (_, byte[] extra) = await UpgradeHandshake.ReadAnswerAsync(new MemoryStream(wire), CancellationToken.None);

        Assert.Equal(101, answer.Status);
        Assert.Equal(["a", "b"], answer.Headers["x-extra"]);
        Assert.Null(UpgradeHandshake.Check(answer, Key, offeredDeflate: true));
        Assert.Empty(none); // read byte by byte, nothing past the headers was read ...
        Assert.Equal(wire.Length - frame.Length, trickle.Position); // ... and the frame is still in the stream
        Assert.Equal(frame, extra); // read in one go, the frame came with the headers and is kept
    }

    [Fact]
    public async Task AnAnswerCutShort_OrTooLong_IsAWebSocketError()
    {
        WebSocketException cut = await Assert.ThrowsAsync<WebSocketException>(async () =>
            await UpgradeHandshake.ReadAnswerAsync(new MemoryStream("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"u8.ToArray()), CancellationToken.None));
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, cut.WebSocketErrorCode);

        byte[] endless = Encoding.Latin1.GetBytes("HTTP/1.1 101 Switching Protocols\r\n" + string.Concat(Enumerable.Repeat("x-pad: " + new string('p', 100) + "\r\n", 200)));
        WebSocketException tooLong = await Assert.ThrowsAsync<WebSocketException>(async () =>
            await UpgradeHandshake.ReadAnswerAsync(new MemoryStream(endless), CancellationToken.None));
        Assert.Contains(UpgradeHandshake.MaxResponseHeaderBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), tooLong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusal_NamesItsStatus()
    {
        UpgradeAnswer answer = await AnswerAsync("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");

        WebSocketException refused = Assert.Throws<WebSocketException>(() => UpgradeHandshake.Check(answer, Key, offeredDeflate: true));

        Assert.Equal(WebSocketError.NotAWebSocket, refused.WebSocketErrorCode);
        Assert.Contains("'401'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIPv6Host_IsBracketed()
    {
        string text = Encoding.Latin1.GetString(UpgradeHandshake.Request(new Uri("ws://[::1]:8080/v1/responses"), Key, offerDeflate: false, []));

        Assert.Contains("\r\nHost: [::1]:8080\r\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.0 101 Switching Protocols")]
    [InlineData("HTTP/1.1 1010 Switching Protocols")]
    [InlineData("HTTP/2 101")]
    [InlineData("ICY 101 OK")]
    public async Task AStatusLineNotOfHttp11_IsRefused(string statusLine)
    {
        WebSocketException refused = await Assert.ThrowsAsync<WebSocketException>(async () =>
            await UpgradeHandshake.ReadAnswerAsync(new MemoryStream(Encoding.Latin1.GetBytes(statusLine + $"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Accept}\r\n\r\n")), CancellationToken.None));

        Assert.Equal(WebSocketError.HeaderError, refused.WebSocketErrorCode);
    }

    [Fact]
    public async Task ARefusalWithAMalformedHeader_StillNamesItsStatus()
    {
        UpgradeAnswer answer = await AnswerAsync("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nnot a header\r\n\r\n");

        WebSocketException refused = Assert.Throws<WebSocketException>(() => UpgradeHandshake.Check(answer, Key, offeredDeflate: true));
        Assert.Contains("'429'", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n")] // a wrong accept
    [InlineData("Connection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\n")] // no Upgrade
    [InlineData("Upgrade: websocket\r\nSec-WebSocket-Accept: " + Accept + "\r\n")] // no Connection
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Protocol: chat\r\n")] // a subprotocol never offered
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n")] // an extension never offered
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=8\r\n")] // a window .NET cannot use
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Extensions: permessage-deflate; mystery\r\n")] // a parameter never defined
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n")] // accepted twice
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; server_max_window_bits=12\r\n")] // a parameter twice
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\n Sec-WebSocket-Accept: " + Accept + "\r\n")] // a folded line
    public async Task AWrongAnswer_IsRefused(string headers) =>
        await Assert.ThrowsAsync<WebSocketException>(async () =>
            UpgradeHandshake.Check(await AnswerAsync("HTTP/1.1 101 Switching Protocols\r\n" + headers + "\r\n"), Key, offeredDeflate: true)); // refused when read or when checked

    [Fact]
    public async Task CompressionAccepted_WithoutAnOffer_IsRefused()
    {
        UpgradeAnswer answer = await AnswerAsync($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: {Accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n");

        Assert.Throws<WebSocketException>(() => UpgradeHandshake.Check(answer, Key, offeredDeflate: false));
    }

    [Fact]
    public async Task TheDeflateAnswer_SetsWhatTheServerAgreedTo()
    {
        UpgradeAnswer answer = await AnswerAsync(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: {Accept}\r\n"
            + "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=\"12\"\r\n\r\n");

        WebSocketDeflateOptions deflate = Assert.IsType<WebSocketDeflateOptions>(UpgradeHandshake.Check(answer, Key, offeredDeflate: true));

        Assert.False(deflate.ClientContextTakeover);
        Assert.False(deflate.ServerContextTakeover);
        Assert.Equal(10, deflate.ServerMaxWindowBits);
        Assert.Equal(12, deflate.ClientMaxWindowBits);
    }

    [Fact]
    public async Task APlainDeflateAnswer_KeepsTheServersContext_AndTheRelayDropsItsOwn()
    {
        UpgradeAnswer answer = await AnswerAsync($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n");

        WebSocketDeflateOptions deflate = Assert.IsType<WebSocketDeflateOptions>(UpgradeHandshake.Check(answer, Key, offeredDeflate: true));

        Assert.False(deflate.ClientContextTakeover);
        Assert.True(deflate.ServerContextTakeover);
        Assert.Equal(15, deflate.ServerMaxWindowBits);
    }

    private static async Task<UpgradeAnswer> AnswerAsync(string wire) =>
        (await UpgradeHandshake.ReadAnswerAsync(new MemoryStream(Encoding.Latin1.GetBytes(wire)), CancellationToken.None)).Answer;

    /// <summary>A stream that gives one byte per read, as a slow network might.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
