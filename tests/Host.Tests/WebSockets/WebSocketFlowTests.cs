using System.Collections.Concurrent;
using System.Text;
using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>
/// A <see cref="ProxyStreamBuilder.UseFlow"/> flow on WebSocket turns, on real Kestrel: each upstream
/// event of a turn passes it as a frame, then the turn's end. This one drops every text delta and
/// rewrites each <c>response.in_progress</c>; the usage tap, inside it, still reads the upstream's events.
/// </summary>
public sealed class WebSocketFlowTests : RelayTestBase
{
    private const string Create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[]}""";
    private const string InProgress = "\"type\":\"response.in_progress\"";
    private const string Tagged = InProgress + ",\"relayed_by\":\"flow\"";
    private const int Turns = 2;

    private readonly ConcurrentQueue<string> _seen = new();

    protected override Action<ProxyStreamBuilder> ExtraStages => pipeline => pipeline.UseFlow(
        Flow.Create<ProxyFrame>()
            .Select(frame =>
            {
                if (frame.Kind != ProxyFrameKind.Frame)
                {
                    _seen.Enqueue(frame.Kind.ToString());
                    return frame;
                }

                string text = Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(frame.Frame.Raw));
                _seen.Enqueue("Frame");
                if (text.Contains(InProgress, StringComparison.Ordinal))
                {
                    frame.Frame = frame.Frame.WithRaw(Encoding.UTF8.GetBytes(text.Replace(InProgress, Tagged, StringComparison.Ordinal)));
                }

                return frame;
            })
            .Where(frame => frame.Kind != ProxyFrameKind.Frame || !IsDelta(frame)),
        "drop-deltas");

    [Fact]
    public async Task AFlow_ChangesWhatTheClientReceivesOfEachTurn_AndBillingStillCarriesTheUsage()
    {
        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            for (int turn = 1; turn <= Turns; turn++)
            {
                await socket.SendAsync(Create);
                await socket.ReceiveUntilAsync("response.completed");
            }

            string[] expected = [.. Upstream.Socket.Sent
                .Where(e => !e.Contains("\"type\":\"response.output_text.delta\"", StringComparison.Ordinal))
                .Select(e => e.Replace(InProgress, Tagged, StringComparison.Ordinal))];
            Assert.Equal(expected, socket.Received);
            Assert.Contains(socket.Received, e => e.Contains(Tagged, StringComparison.Ordinal));
            Assert.True(Upstream.Socket.Sent.Count > expected.Length, "the upstream sent no deltas to drop");
        }

        for (int turn = 1; turn <= Turns; turn++)
        {
            BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == turn);
            (int input, int cached, int output, int reasoning) = FakeResponsesSocket.Usage(turn);
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(UsageStatus.Reported, record.Usage.Status);
            Assert.Equal(input, record.Usage.InputTokens);
            Assert.Equal(cached, record.Usage.CachedInputTokens);
            Assert.Equal(output, record.Usage.OutputTokens);
            Assert.Equal(reasoning, record.Usage.ReasoningTokens);
            Assert.True(record.Cost > 0);
        }

        // The flow saw every upstream event of a turn, then the turn's end (each turn is billed once its end has passed).
        int events = Upstream.Socket.Sent.Count / Turns;
        string[] turnSeen = [.. Enumerable.Repeat("Frame", events), "End"];
        Assert.Equal([.. turnSeen, .. turnSeen], _seen);
    }

    private static bool IsDelta(ProxyFrame frame) =>
        Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(frame.Frame.Raw)).Contains("\"type\":\"response.output_text.delta\"", StringComparison.Ordinal);
}
