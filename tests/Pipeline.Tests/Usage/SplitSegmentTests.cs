using System.Buffers;
using System.Text;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Usage;

using AkkaProxy.Pipeline.Tests.TestKit;

namespace AkkaProxy.Pipeline.Tests.Usage;

/// <summary>
/// Events and numbers split across buffer segments (as a PipeReader hands them over) read the same
/// as unsplit ones, and relaying a stream allocates nothing per event.
/// </summary>
public class SplitSegmentTests
{
    private const string CompletedJson =
        """{"type":"response.completed","sequence_number":123456,"response":{"id":"resp_1","model":"gpt-4o","status":"completed","usage":{"input_tokens":1337,"input_tokens_details":{"cached_tokens":1024},"output_tokens":256,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":1593}}}""";

    [Fact]
    public void Decoder_reads_field_names_split_at_every_position()
    {
        byte[] bytes = Encoding.UTF8.GetBytes($"event: response.completed\ndata: {CompletedJson}\n\n");
        for (int split = 1; split < bytes.Length; split++)
        {
            ReadOnlySequence<byte> buffer = Sequences.SplitAt(bytes, split);
            var decoder = new SseFrameDecoder(1024 * 1024);

            Assert.Equal(DecodeStatus.Frame, decoder.TryRead(ref buffer, isFinalBlock: true, out ResponseFrame frame));
            Assert.Equal("response.completed", Encoding.UTF8.GetString(frame.EventName.ToArray()));
            Assert.Equal(CompletedJson, Encoding.UTF8.GetString(frame.Data.ToArray()));
            Assert.Equal(bytes.Length, frame.Raw.Length);
            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void Scanner_reads_numbers_split_at_every_position()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(CompletedJson);
        var whole = new JsonEventScanner();
        whole.ScanDocument(bytes);
        Assert.Equal(123456, whole.Facts.SequenceNumber);
        Assert.Equal(1337, whole.Facts.Usage.Input);

        for (int split = 1; split < bytes.Length; split++)
        {
            var scanner = new JsonEventScanner { CaptureIdentity = true };
            scanner.ScanDocument(Sequences.SplitAt(bytes, split));
            Assert.Equal(whole.Facts, scanner.Facts);
            Assert.Equal("resp_1", scanner.Id);
            Assert.Equal("gpt-4o", scanner.Model);
        }
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("-1")]
    [InlineData("99999999999999999999")]
    [InlineData("-9223372036854775808")]
    [InlineData("9223372036854775807")]
    [InlineData("0.000000000000000000000000000000000000001")]
    public void Split_numbers_read_exactly_like_unsplit_ones(string number)
    {
        byte[] bytes = Encoding.UTF8.GetBytes("{\"sequence_number\":" + number + ",\"usage\":{\"input_tokens\":" + number + "}}");
        var whole = new JsonEventScanner();
        whole.ScanDocument(bytes);
        int start = Encoding.UTF8.GetByteCount("""{"sequence_number":""");
        for (int split = start + 1; split < start + number.Length; split++)
        {
            var scanner = new JsonEventScanner();
            scanner.ScanDocument(Sequences.SplitAt(bytes, split));
            Assert.Equal(whole.Facts, scanner.Facts);
        }
    }

    [Fact]
    public void Tap_keeps_the_first_id_and_still_captures_a_model_that_comes_later()
    {
        ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
        ProxyRun run = factory.CreateRun(Exchange(ApiKind.ChatCompletions));
        Relay(run, """
            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-2","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-3","object":"chat.completion.chunk","model":"other","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}

            data: [DONE]


            """);

        Assert.Equal("chatcmpl-1", run.Exchange.ResponseId);
        Assert.Equal("gpt-4o-mini", run.Exchange.ResponseModel);
        Assert.Equal(3, run.Exchange.Usage.InputTokens);
        Assert.Equal(TerminalKind.Completed, run.Exchange.Terminal);
    }

    [Theory]
    [InlineData(ApiKind.Responses, true)]
    [InlineData(ApiKind.Responses, false)]
    [InlineData(ApiKind.ChatCompletions, true)]
    [InlineData(ApiKind.ChatCompletions, false)]
    public void Relaying_more_events_allocates_nothing_more(ApiKind api, bool withModel)
    {
        ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
        byte[] small = Stream(api, 10, withModel);
        byte[] large = Stream(api, 400, withModel);

        long Measure(byte[] bytes)
        {
            ReadOnlySequence<byte> segmented = Sequences.Split(bytes, 61);
            for (int i = 0; i < 3; i++)
            {
                DecodeAndTap(factory, api, segmented);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            DecodeAndTap(factory, api, segmented);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        long smallBytes = Measure(small);
        long largeBytes = Measure(large);
        Assert.Equal(smallBytes, largeBytes);
    }

    private static void DecodeAndTap(ProxyStreamFactory factory, ApiKind api, ReadOnlySequence<byte> buffer)
    {
        ProxyRun run = factory.CreateRun(Exchange(api));
        var decoder = new SseFrameDecoder(factory.Options.MaxEventBytes);
        while (decoder.TryRead(ref buffer, isFinalBlock: true, out ResponseFrame frame) == DecodeStatus.Frame)
        {
            run.ProcessFrame(ref frame);
        }

        Assert.Equal(TerminalKind.Completed, run.Exchange.Terminal);
        Assert.Equal(UsageStatus.Reported, run.Exchange.Usage.Status);
    }

    private static void Relay(ProxyRun run, string stream)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(stream.ReplaceLineEndings("\n")));
        var decoder = new SseFrameDecoder(1024 * 1024);
        while (decoder.TryRead(ref buffer, isFinalBlock: true, out ResponseFrame frame) == DecodeStatus.Frame)
        {
            run.ProcessFrame(ref frame);
        }
    }

    private static byte[] Stream(ApiKind api, int deltas, bool withModel)
    {
        string model = withModel ? "\"model\":\"gpt-4o-2024-08-06\"," : "";
        var sb = new StringBuilder();
        if (api == ApiKind.Responses)
        {
            sb.Append("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_abc\",")
                .Append(model).Append("\"status\":\"in_progress\",\"usage\":null}}\n\n");
            for (int i = 1; i <= deltas; i++)
            {
                sb.Append("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":").Append(i)
                    .Append(",\"item_id\":\"msg_abc\",\"output_index\":0,\"content_index\":0,\"delta\":\" tok").Append(i).Append("\",\"logprobs\":[]}\n\n");
            }

            sb.Append("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":").Append(deltas + 1)
                .Append(",\"response\":{\"id\":\"resp_abc\",").Append(model)
                .Append("\"status\":\"completed\",\"usage\":{\"input_tokens\":12345,\"input_tokens_details\":{\"cached_tokens\":1024},\"output_tokens\":").Append(deltas)
                .Append(",\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":").Append(12345 + deltas).Append("}}}\n\n");
        }
        else
        {
            for (int i = 0; i < deltas; i++)
            {
                sb.Append("data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":1755012345,").Append(model)
                    .Append("\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok").Append(i).Append("\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
            }

            sb.Append("data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",").Append(model)
                .Append("\"choices\":[],\"usage\":{\"prompt_tokens\":12345,\"completion_tokens\":").Append(deltas)
                .Append(",\"total_tokens\":").Append(12345 + deltas).Append(",\"prompt_tokens_details\":{\"cached_tokens\":1024}}}\n\ndata: [DONE]\n\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static ProxyExchange Exchange(ApiKind api)
    {
        var router = new ModelRouter(new RoutingOptions
        {
            Providers = { new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "http://127.0.0.1:1/v1" } },
        });
        Assert.True(router.TryResolve("openai/gpt-4o", out ProviderRoute route, out _));
        return new ProxyExchange("req_test", api, route, ReadOnlyMemory<byte>.Empty, isStreaming: true, DateTimeOffset.UnixEpoch);
    }
}
