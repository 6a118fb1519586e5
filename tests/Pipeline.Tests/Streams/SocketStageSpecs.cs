using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>
/// A session graph's socket stages on real WebSockets connected in memory (<see cref="SocketPair"/>),
/// driven by probes: what they read and send, when they ask for more, how they stop. Every spec ends
/// with all its stages stopped.
/// </summary>
public sealed class SocketStageSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Nothing = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly IMaterializer _materializer;

    public SocketStageSpecs() : base("akka.loglevel = WARNING") => _materializer = Sys.Materializer();

    // SocketSource

    [Fact]
    public async Task TheSource_ReadsAMessageSentInFragments_AsOneElement_ByteExact_WithItsType()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = RunSource(maxMessageBytes: 1024, bufferBytes: 16);
            byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20).Select(i => $"piece {i}; "))); // grows past the 16-byte buffer
            byte[] binary = [.. Enumerable.Range(0, 300).Select(i => (byte)i)];
            await pair.SendAsync(text, WebSocketMessageType.Text, pieces: 7);
            await pair.SendAsync(binary, WebSocketMessageType.Binary, pieces: 100);
            await pair.SendAsync([], WebSocketMessageType.Text);

            control.Attach(pair.Relay, (end, failure) => TestActor.Tell((end, failure)));
            probe.Request(1);
            SocketMessage first = probe.ExpectNext();
            Assert.Equal(WebSocketMessageType.Text, first.Type);
            Assert.Equal(text, first.Payload.ToArray());
            probe.Request(1);
            SocketMessage second = probe.ExpectNext();
            Assert.Equal(WebSocketMessageType.Binary, second.Type);
            Assert.Equal(binary, second.Payload.ToArray());
            probe.Request(1);
            SocketMessage empty = probe.ExpectNext();
            Assert.Equal(WebSocketMessageType.Text, empty.Type);
            Assert.True(empty.Payload.IsEmpty);

            probe.Cancel();
            await control.Stopped.WaitAsync(Bound);
            ExpectNoMsg(Nothing); // a cancelled source reports no end of its socket
        }, _materializer);
    }

    [Fact]
    public async Task TheSource_ReadsNothingWithoutDemand_AndOneMessagePerRequest()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = RunSource(maxMessageBytes: 1024, bufferBytes: 64);
            control.Attach(pair.Relay, (end, failure) => TestActor.Tell((end, failure)));
            await pair.SendAsync(Encoding.UTF8.GetBytes("one"), WebSocketMessageType.Text);

            probe.ExpectNoMsg(Nothing);
            Assert.Equal(0, pair.Stream.Reads.Value); // not even a zero-byte read for a frame header
            Assert.Equal(0, pair.Stream.BytesRead);

            probe.Request(1);
            Assert.Equal("one", Encoding.UTF8.GetString(probe.ExpectNext().Payload.Span));
            int reads = pair.Stream.Reads.Value;
            long bytes = pair.Stream.BytesRead;
            await pair.SendAsync(Encoding.UTF8.GetBytes("two"), WebSocketMessageType.Text);

            probe.ExpectNoMsg(Nothing);
            Assert.Equal(reads, pair.Stream.Reads.Value); // no read ahead: the second message is still in the connection
            Assert.Equal(bytes, pair.Stream.BytesRead);

            probe.Request(1);
            Assert.Equal("two", Encoding.UTF8.GetString(probe.ExpectNext().Payload.Span));

            control.Shutdown(); // no read in progress: it completes at once
            probe.ExpectComplete();
            await control.Stopped.WaitAsync(Bound);
            ExpectNoMsg(Nothing);
        }, _materializer);
    }

    [Fact]
    public async Task ASourcePulledAgain_ForgetsTheLastMessage_SoAnIdleSocketKeepsNoBufferAlive()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = RunSource(maxMessageBytes: 64, bufferBytes: 16);
            control.Attach(pair.Relay, (end, failure) => TestActor.Tell((end, failure)));
            await pair.SendAsync(new byte[40], WebSocketMessageType.Binary);

            probe.Request(1);
            SocketMessage message = probe.ExpectNext();
            Assert.Equal(40, message.Payload.Length);

            // The next pull starts a read that waits (nothing more is sent): the source must not keep
            // the last message's bytes, whose buffer its reader has given back to the pool.
            probe.Request(1);
            await AwaitAssertAsync(() => Assert.True(message.Payload.IsEmpty), Bound);

            control.Shutdown();
            await pair.SendAsync(new byte[1], WebSocketMessageType.Binary);
            probe.ExpectComplete();
            await control.Stopped.WaitAsync(Bound);
        }, _materializer);
    }

    [Fact]
    public async Task AMessageOverTheLimit_EndsTheSourceAsTooLarge_AndOneAtTheLimitPasses()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = RunSource(maxMessageBytes: 64, bufferBytes: 16);
            control.Attach(pair.Relay, (end, failure) => TestActor.Tell((end, failure)));
            await pair.SendAsync(new byte[64], WebSocketMessageType.Binary, pieces: 10);
            await pair.SendAsync(new byte[65], WebSocketMessageType.Binary);

            probe.Request(1); // a message is a loan until the next pull: read it before asking for more
            Assert.Equal(64, probe.ExpectNext().Payload.Length);
            probe.Request(1);
            Assert.Equal((SocketEnd.TooLarge, (Exception?)null), ExpectMsg<(SocketEnd, Exception?)>());
            probe.ExpectComplete();
            await control.Stopped.WaitAsync(Bound);
            ExpectNoMsg(Nothing); // reported once
        }, _materializer);
    }

    [Fact]
    public async Task ThePeersClose_EndsTheSourceAsClosed()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = RunSource(maxMessageBytes: 1024, bufferBytes: 64);
            control.Attach(pair.Relay, (end, failure) => TestActor.Tell((end, failure)));
            await pair.Peer.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "bye", CancellationToken.None);

            probe.Request(1);
            Assert.Equal((SocketEnd.Closed, (Exception?)null), ExpectMsg<(SocketEnd, Exception?)>());
            probe.ExpectComplete();
            await control.Stopped.WaitAsync(Bound);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, pair.Relay.CloseStatus);
            Assert.Equal("bye", pair.Relay.CloseStatusDescription);
        }, _materializer);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ASocketAbortedOrLostDuringARead_EndsTheSourceAsLost(bool abortTheRelaysSocket)
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = RunSource(maxMessageBytes: 1024, bufferBytes: 64);
            control.Attach(pair.Relay, (end, failure) => TestActor.Tell((end, failure)));
            probe.Request(1);
            await pair.Stream.Reads.Reached(1).WaitAsync(Bound); // the source waits on the socket

            (abortTheRelaysSocket ? pair.Relay : pair.Peer).Abort(); // the peer's abort: the connection ends under the read

            (SocketEnd end, Exception? failure) = ExpectMsg<(SocketEnd, Exception?)>();
            Assert.Equal(SocketEnd.Lost, end);
            Assert.NotNull(failure);
            probe.ExpectComplete();
            await control.Stopped.WaitAsync(Bound);
        }, _materializer);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ShutdownDuringARead_CompletesTheSourceOnlyOnceThatReadHasFinished(bool thePeerSends)
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = await ReadingAsync(pair);

            control.Shutdown();

            probe.ExpectNoMsg(Nothing); // still reading: not complete
            Assert.False(control.Stopped.IsCompleted); // nobody else may read the socket yet
            if (thePeerSends)
            {
                await pair.SendAsync(Encoding.UTF8.GetBytes("late"), WebSocketMessageType.Text);
            }
            else
            {
                pair.Relay.Abort();
            }

            probe.ExpectComplete(); // the late message is read, not emitted
            await control.Stopped.WaitAsync(Bound);
            if (!thePeerSends)
            {
                Assert.Equal(SocketEnd.Lost, ExpectMsg<(SocketEnd End, Exception?)>().End);
            }

            ExpectNoMsg(Nothing);
        }, _materializer);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ASourceStoppedDuringARead_SaysStoppedOnlyOnceThatReadHasFinished(bool cancelled)
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = await ReadingAsync(pair);

            if (cancelled)
            {
                probe.Cancel();
            }
            else
            {
                control.Abort(new InvalidOperationException("session failed"));
                Assert.Equal("session failed", probe.ExpectError().Message);
            }

            ExpectNoMsg(Nothing);
            Assert.False(control.Stopped.IsCompleted); // the graph is gone, but its read still owns the socket
            await pair.SendAsync(Encoding.UTF8.GetBytes("late"), WebSocketMessageType.Text);
            await control.Stopped.WaitAsync(Bound);
            ExpectNoMsg(Nothing); // a graph that is gone hears no end
        }, _materializer);
    }

    // SocketSink

    [Fact]
    public async Task TheSink_SendsEachMessageInOrder_ByteExact_AndTakesTheNextOnlyOnceThePeerHasTheLast()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            var sender = new SocketSender(pair.Relay, Bound);
            (WebSocketMessageType Type, byte[] Payload)[] messages =
            [
                (WebSocketMessageType.Text, Encoding.UTF8.GetBytes("""{"type":"response.create"}""")),
                (WebSocketMessageType.Binary, [0, 1, 2, 254, 255]),
                (WebSocketMessageType.Text, Encoding.UTF8.GetBytes(new string('x', 5000))),
            ];

            // A stage fused with the sink (a probe's publisher sits behind a buffer that asks ahead):
            // its function runs when the sink pulls, and tells which element is handed over.
            Task sent = Source.From(Enumerable.Range(0, messages.Length))
                .Select(i =>
                {
                    TestActor.Tell(i);
                    return new SocketMessage().Set(messages[i].Type, messages[i].Payload);
                })
                .RunWith(UpstreamSink(sender), _materializer);

            for (int i = 0; i < messages.Length; i++)
            {
                ExpectMsg(i);
                ExpectNoMsg(Nothing); // the next one waits until the peer has received this one
                (WebSocketMessageType type, byte[] payload) = await pair.ReceiveAsync();
                Assert.Equal(messages[i].Type, type);
                Assert.Equal(messages[i].Payload, payload);
            }

            await sent.WaitAsync(Bound);
            ExpectNoMsg(Nothing);
        }, _materializer);
    }

    [Fact]
    public async Task TheSink_WhenASendFails_ReportsItOnce_AndCancelsUpstream()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            var sender = new SocketSender(pair.Relay, Bound);
            (TestPublisher.Probe<SocketMessage> upstream, Task sent) = this.SourceProbe<SocketMessage>()
                .ToMaterialized(UpstreamSink(sender), Keep.Both)
                .Run(_materializer);

            upstream.ExpectRequest();
            upstream.SendNext(new SocketMessage().Set(WebSocketMessageType.Text, Encoding.UTF8.GetBytes("never read")));
            await pair.Stream.Writes.Reached(1).WaitAsync(Bound); // the send waits for a peer that does not read
            pair.Relay.Abort();

            ExpectMsg<Exception>();
            upstream.ExpectCancellation();
            await sent.WaitAsync(Bound);
            ExpectNoMsg(Nothing);
        }, _materializer);
    }

    [Fact]
    public async Task TheSink_WhoseInputEndsDuringASend_StopsOnlyOnceThatSendIsOver()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            (TestPublisher.Probe<SocketMessage> upstream, Task sent) = this.SourceProbe<SocketMessage>()
                .ToMaterialized(UpstreamSink(new SocketSender(pair.Relay, Bound)), Keep.Both)
                .Run(_materializer);

            upstream.ExpectRequest();
            upstream.SendNext(new SocketMessage().Set(WebSocketMessageType.Text, Encoding.UTF8.GetBytes("last words")));
            await pair.Stream.Writes.Reached(1).WaitAsync(Bound); // the send waits for a peer that does not read yet
            upstream.SendComplete();

            Assert.NotSame(sent, await Task.WhenAny(sent, Task.Delay(Nothing))); // still sending: not stopped
            Assert.Equal("last words", Encoding.UTF8.GetString((await pair.ReceiveAsync()).Payload));
            await sent.WaitAsync(Bound);
        }, _materializer);
    }

    // ClientSocketSink

    [Fact]
    public async Task TheClientSink_SendsEachFrame_AndReportsATurnsEndOnlyOnceThePeerHasTheFrameBeforeIt()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            ExchangeBinding first = Turn(), second = Turn();
            Task sent = Source.From([Frame(first, "a1"), End(first), Frame(second, "b1"), Frame(second, "b2"), End(second)])
                .RunWith(ClientSink(pair, () => false), _materializer);

            foreach ((ExchangeBinding turn, string[] frames) in new[] { (first, new[] { "a1" }), (second, new[] { "b1", "b2" }) })
            {
                foreach (string frame in frames)
                {
                    ExpectNoMsg(Nothing); // the end waits for the peer to take the frames before it
                    (WebSocketMessageType type, byte[] payload) = await pair.ReceiveAsync();
                    Assert.Equal(WebSocketMessageType.Text, type);
                    Assert.Equal(frame, Encoding.UTF8.GetString(payload));
                }

                Assert.Same(turn, ExpectMsg<ExchangeBinding>());
                Assert.False(turn.ClientEnded);
            }

            await sent.WaitAsync(Bound);
            ExpectNoMsg(Nothing);
        }, _materializer);
    }

    [Fact]
    public async Task TheClientSink_AfterAFailedSend_DropsTheRest_AndEndsEveryTurnAsTheClients()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            ExchangeBinding first = Turn(), second = Turn();
            Task sent = Source.From([Frame(first, "a1"), End(first), Frame(second, "b1"), Frame(second, "b2"), End(second)])
                .RunWith(ClientSink(pair, () => false), _materializer);
            await pair.Stream.Writes.Reached(1).WaitAsync(Bound); // "a1" waits for a peer that does not read

            pair.Relay.Abort();

            ExpectMsg<Exception>(); // the client is lost, once
            Assert.Same(first, ExpectMsg<ExchangeBinding>());
            Assert.Same(second, ExpectMsg<ExchangeBinding>());
            await sent.WaitAsync(Bound);
            Assert.True(first.ClientEnded);
            Assert.True(second.ClientEnded);
            Assert.Equal(1, pair.Stream.Writes.Value); // nothing of the second turn was sent
            ExpectNoMsg(Nothing);
        }, _materializer);
    }

    [Fact]
    public async Task TheClientSink_WhileTheSessionCloses_DropsFrames_ButStillReportsEnds()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            bool closing = false;
            ExchangeBinding first = Turn(), second = Turn();
            Task sent = Source.From([Frame(first, "a1"), End(first), Frame(second, "b1"), End(second)])
                .RunWith(ClientSink(pair, () => Volatile.Read(ref closing)), _materializer);
            await pair.Stream.Writes.Reached(1).WaitAsync(Bound);
            long firstFrame = pair.Stream.BytesWritten;

            Volatile.Write(ref closing, true); // before "a1" is done: what comes after it is dropped
            Assert.Equal("a1", Encoding.UTF8.GetString((await pair.ReceiveAsync()).Payload));

            Assert.Same(first, ExpectMsg<ExchangeBinding>());
            Assert.Same(second, ExpectMsg<ExchangeBinding>());
            await sent.WaitAsync(Bound);
            Assert.Equal(firstFrame, pair.Stream.BytesWritten); // "b1" was not sent
            Assert.False(second.ClientEnded); // the upstream's turn, billed with its usage
            ExpectNoMsg(Nothing); // and the client was not lost
        }, _materializer);
    }

    [Fact]
    public async Task TheClientSink_WhoseInputEndsDuringASend_StopsOnlyOnceThatSendIsOver()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            using var pair = SocketPair.Create();
            Task sent = Source.Single(Frame(Turn(), "the last event")).RunWith(ClientSink(pair, () => false), _materializer);
            await pair.Stream.Writes.Reached(1).WaitAsync(Bound); // the send waits for a peer that does not read yet

            Assert.NotSame(sent, await Task.WhenAny(sent, Task.Delay(Nothing))); // the input ended, the send did not: not stopped
            Assert.Equal("the last event", Encoding.UTF8.GetString((await pair.ReceiveAsync()).Payload));
            await sent.WaitAsync(Bound);
            ExpectNoMsg(Nothing); // no client lost
        }, _materializer);
    }

    /// <summary>A source on <paramref name="pair"/>'s relay side, asked for one message and reading: its end goes to the test actor.</summary>
    private async Task<(SocketSource.Control Control, TestSubscriber.Probe<SocketMessage> Probe)> ReadingAsync(SocketPair pair)
    {
        (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = RunSource(maxMessageBytes: 1024, bufferBytes: 64);
        control.Attach(pair.Relay, (end, failure) => TestActor.Tell((end, failure)));
        probe.Request(1);
        await pair.Stream.Reads.Reached(1).WaitAsync(Bound);
        return (control, probe);
    }

    private (SocketSource.Control Control, TestSubscriber.Probe<SocketMessage> Probe) RunSource(int maxMessageBytes, int bufferBytes)
    {
        (SocketSource.Control control, TestSubscriber.Probe<SocketMessage> probe) = Source.FromGraph(new SocketSource("test-source", maxMessageBytes, bufferBytes)).AddAttributes(new TestSocketSession().Attributes)
            .ToMaterialized(this.SinkProbe<SocketMessage>(), Keep.Both)
            .Run(_materializer);
        probe.EnsureSubscription();
        return (control, probe);
    }

    private Sink<ProxyFrame, Task> ClientSink(SocketPair pair, Func<bool> closing)
    {
        var session = new TestSocketSession(toClient: new SocketSender(pair.Relay, Bound))
        {
            TurnEnded = turn => TestActor.Tell(turn),
            ClientLost = failure => TestActor.Tell(failure),
            Closing = closing,
        };
        return Sink.FromGraph(new ClientSocketSink()).AddAttributes(session.Attributes);
    }

    private Sink<SocketMessage, Task> UpstreamSink(SocketSender sender)
    {
        var session = new TestSocketSession(toUpstream: sender) { UpstreamLost = failure => TestActor.Tell(failure) };
        return Sink.FromGraph(new SocketSink("test-sink")).AddAttributes(session.Attributes);
    }

    private static ExchangeBinding Turn()
    {
        ProxyRun run = new ProxyStreamBuilder().Build().CreateRun(Exchanges.Create(ApiKind.Responses, "{}", streaming: true));
        return new ExchangeBinding(run, null!, null!, FrameKind.WebSocketMessage, null, TimeProvider.System, CancellationToken.None);
    }

    private static ProxyFrame Frame(ExchangeBinding turn, string text)
    {
        var bytes = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text));
        return new ProxyFrame().AsFrame(turn, new ResponseFrame(FrameKind.WebSocketMessage, bytes, default, bytes, hasData: true));
    }

    private static ProxyFrame End(ExchangeBinding turn) => new ProxyFrame().AsEnd(turn, PumpResult.UpstreamEnded, null);
}
