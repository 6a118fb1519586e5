using AkkaProxy.Host.Configuration;

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
}
