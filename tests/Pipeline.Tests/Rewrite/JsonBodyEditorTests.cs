using System.Text;
using AkkaProxy.Pipeline.Rewrite;

namespace AkkaProxy.Pipeline.Tests.Rewrite;

/// <summary>Edits change only their token; every other byte stays as the client sent it.</summary>
public sealed class JsonBodyEditorTests
{
    [Theory]
    [InlineData("{\"model\":\"openai/gpt-4o\",\"messages\":[]}", "{\"model\":\"gpt-4o\",\"messages\":[]}")]
    [InlineData("{ \"temperature\" : 0.70, \"model\"\t:\n \"openai/gpt-4o\" , \"x\":1E+2 }", "{ \"temperature\" : 0.70, \"model\"\t:\n \"gpt-4o\" , \"x\":1E+2 }")]
    [InlineData("{\"messages\":[{\"content\":\"caf\\u00e9 \\\"q\\\" \u00fc\ud83d\ude00\"}],\"model\":\"openai\\/gpt-4o\"}", "{\"messages\":[{\"content\":\"caf\\u00e9 \\\"q\\\" \u00fc\ud83d\ude00\"}],\"model\":\"gpt-4o\"}")]
    [InlineData("{\"b\":{\"model\":\"nested stays\"},\"model\":\"openai/gpt-4o\",\"z\":[1,2,3]}", "{\"b\":{\"model\":\"nested stays\"},\"model\":\"gpt-4o\",\"z\":[1,2,3]}")]
    public void ReplaceModel_ChangesOnlyTheModelToken(string body, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        RequestBodyInfo info = RequestBodyReader.Read(bytes);

        byte[] edited = JsonBodyEditor.ReplaceModel(bytes, info, "gpt-4o");

        Assert.Equal("openai/gpt-4o", info.Model);
        Assert.Equal(expected, Encoding.UTF8.GetString(edited));
    }

    [Fact]
    public void ReplaceModel_EscapesWhatJsonRequires()
    {
        byte[] bytes = Encoding.UTF8.GetBytes("{\"model\":\"p/x\"}");

        byte[] edited = JsonBodyEditor.ReplaceModel(bytes, RequestBodyReader.Read(bytes), "we\"ird/m\u00f6del");

        Assert.Equal("{\"model\":\"we\\\"ird/m\u00f6del\"}", Encoding.UTF8.GetString(edited));
    }

    [Theory]
    [InlineData("{\"stream\":true}", "{\"stream_options\":{\"include_usage\":true},\"stream\":true}")]
    [InlineData("{}", "{\"stream_options\":{\"include_usage\":true}}")]
    [InlineData("{\"stream_options\":{},\"stream\":true}", "{\"stream_options\":{\"include_usage\":true},\"stream\":true}")]
    [InlineData("{\"stream_options\":{\"include_obfuscation\":false}}", "{\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":false}}")]
    [InlineData("{\"stream_options\":{\"include_usage\":false}}", "{\"stream_options\":{\"include_usage\":true}}")]
    [InlineData("{\"stream_options\":{\"include_usage\":null}}", "{\"stream_options\":{\"include_usage\":true}}")]
    [InlineData("{\"stream_options\":null,\"a\":1}", "{\"stream_options\":{\"include_usage\":true},\"a\":1}")]
    [InlineData("{\"stream_options\":\"x\\\"y\",\"a\":1}", "{\"stream_options\":{\"include_usage\":true},\"a\":1}")]
    [InlineData("{\"stream_options\":[1,[2]],\"a\":1}", "{\"stream_options\":{\"include_usage\":true},\"a\":1}")]
    [InlineData("{\"stream_options\":12.5e1}", "{\"stream_options\":{\"include_usage\":true}}")]
    public void EnsureIncludeUsage_InsertsOrFlipsOnlyWhatItMust(string body, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        RequestBodyInfo info = RequestBodyReader.Read(bytes);

        byte[] edited = JsonBodyEditor.EnsureIncludeUsage(bytes, info);

        Assert.False(info.IncludeUsage);
        Assert.Equal(expected, Encoding.UTF8.GetString(edited));
        Assert.True(RequestBodyReader.Read(edited).IncludeUsage);
    }

    [Theory]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"model\":\"a\",\"model\":\"b\"}", "more than one 'model'")]
    [InlineData("{\"model\":42}", "'model' must be a string")]
    [InlineData("{\"model\":\"a\"} {}", "not valid JSON")]
    [InlineData("{\"model\":\"a\",}", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public void BadBodies_AreRefusedWithAMessageThatSaysWhy(string body, string expected)
    {
        RequestBodyException error = Assert.Throws<RequestBodyException>(() => RequestBodyReader.Read(Encoding.UTF8.GetBytes(body)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
