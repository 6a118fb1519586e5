using AkkaProxy.Hosting.Configuration;

namespace AkkaProxy.Host.Tests.Configuration;

public sealed class HoconParserTests
{
    [Fact]
    public void Parses_ObjectsPathsArraysCommentsAndUnits()
    {
        IDictionary<string, string?> values = HoconParser.Parse("""
            # comment
            a { b = 1, c : "two" // trailing
              d.e = true }
            list = [ x, "y z", { k = v } ]
            t = 30s
            size = 16MiB
            "gpt-4.1" = price
            n = null
            a.b = 3
            """);

        Assert.Equal("3", values["a:b"]);
        Assert.Equal("two", values["a:c"]);
        Assert.Equal("true", values["a:d:e"]);
        Assert.Equal("x", values["list:0"]);
        Assert.Equal("y z", values["list:1"]);
        Assert.Equal("v", values["list:2:k"]);
        Assert.Equal("00:00:30", values["t"]);
        Assert.Equal((16 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), values["size"]);
        Assert.Equal("price", values["gpt-4.1"]);
        Assert.Null(values["n"]);
    }

    [Theory]
    [InlineData("16KiB", 16 * 1024)]
    [InlineData("16K", 16 * 1024)]
    [InlineData("16kB", 16_000)]
    [InlineData("2MB", 2_000_000)]
    [InlineData("2MiB", 2 * 1024 * 1024)]
    [InlineData("1GB", 1_000_000_000)]
    public void Sizes_FollowHoconUnits(string text, long bytes)
    {
        Assert.Equal(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), HoconParser.Parse($"s = {text}")["s"]);
    }

    [Fact]
    public void ReplacingAnArray_DropsTheOldElements()
    {
        IDictionary<string, string?> values = HoconParser.Parse("list = [a, b, c]\nlist = [z]");

        Assert.Equal("z", values["list:0"]);
        Assert.False(values.ContainsKey("list:1"));
    }

    [Theory]
    [InlineData("a {", "(1,4)")]
    [InlineData("a = \"open", "unterminated")]
    [InlineData("a b", "expected '='")]
    [InlineData("a = \"x\\", "unterminated escape")]
    [InlineData("a = \"\\u12\"", "four hex digits")]
    public void SyntaxErrors_SayWhere(string text, string expected)
    {
        FormatException error = Assert.Throws<FormatException>(() => HoconParser.Parse(text, "x.conf"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("x.conf(", error.Message, StringComparison.Ordinal);
    }

    private static readonly Dictionary<string, string> Environment = new() { ["RELAY_TIMEOUT"] = "45s", ["RELAY_HOST"] = "10.0.0.7" };

    private static IDictionary<string, string?> ParseWithEnvironment(string text) =>
        HoconParser.Parse(text, "env.conf", name => Environment.GetValueOrDefault(name));

    [Fact]
    public void Substitutions_ReadTheEnvironment_AnOptionalUnsetOneKeepsTheEarlierValue()
    {
        IDictionary<string, string?> values = ParseWithEnvironment("""
            timeout = 10s
            timeout = ${?RELAY_TIMEOUT}
            host = "127.0.0.1"
            host = ${?RELAY_UNSET_VARIABLE}  # unset: stays 127.0.0.1
            required = ${RELAY_HOST}
            list = [ a, ${?RELAY_UNSET_VARIABLE}, ${RELAY_HOST} ]
            quoted = "${RELAY_HOST}"
            """);

        Assert.Equal("00:00:45", values["timeout"]);
        Assert.Equal("127.0.0.1", values["host"]);
        Assert.Equal("10.0.0.7", values["required"]);
        Assert.Equal("a", values["list:0"]);
        Assert.Equal("10.0.0.7", values["list:1"]);
        Assert.False(values.ContainsKey("list:2"));
        Assert.Equal("${RELAY_HOST}", values["quoted"]); // HOCON substitutes outside quotes only
    }

    [Theory]
    [InlineData("a = ${RELAY_UNSET_VARIABLE}", "(1,5)", "RELAY_UNSET_VARIABLE is not set")]
    [InlineData("a = ${RELAY_HOST", "(1,5)", "unterminated ${")]
    [InlineData("a = ${}", "(1,5)", "needs an environment variable")]
    [InlineData("a = ${RELAY_HOST}:8080", "(1,18)", "whole value")]
    public void SubstitutionErrors_SayWhere(string text, string where, string expected)
    {
        FormatException error = Assert.Throws<FormatException>(() => ParseWithEnvironment(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("env.conf" + where, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAkkaSection_KeepsValuesAsWritten_ForAkkaToReadItsOwnUnits()
    {
        IDictionary<string, string?> values = ParseWithEnvironment("""
            akka { actor.ask-timeout = 5 s, coordinated-shutdown.default-phase-timeout = 10s, io.size = 16KiB }
            akka.scheduler.tick-duration = ${?RELAY_TIMEOUT}
            akkaproxy.pipeline.idle-timeout = 5 s
            """);

        Assert.Equal("5 s", values["akka:actor:ask-timeout"]);
        Assert.Equal("10s", values["akka:coordinated-shutdown:default-phase-timeout"]);
        Assert.Equal("16KiB", values["akka:io:size"]);
        Assert.Equal("45s", values["akka:scheduler:tick-duration"]);
        Assert.Equal("00:00:05", values["akkaproxy:pipeline:idle-timeout"]);
    }
}
