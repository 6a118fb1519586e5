using AkkaProxy.Pipeline.Routing;
using System.Text;
using System.Text.Json;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.Transport;

/// <summary>
/// The SigV4 signer against every case of AWS's published test suite (SigV4Vectors, Apache 2.0): the
/// canonical request, the string to sign and the signature, each exactly as the suite has them.
/// </summary>
public sealed class SigV4SignerTests
{
    private static readonly string Vectors = Path.Combine(AppContext.BaseDirectory, "Transport", "SigV4Vectors");

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        foreach (string directory in Directory.GetDirectories(Vectors).Order(StringComparer.Ordinal))
        {
            cases.Add(Path.GetFileName(directory));
        }

        return cases;
    }

    [Fact]
    public void TheSuiteIsThere() => Assert.Equal(38, Cases().Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachCase_SignsAsTheSuiteSays(string name)
    {
        string directory = Path.Combine(Vectors, name);
        using JsonDocument context = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "context.json")));
        JsonElement root = context.RootElement;
        JsonElement credentials = root.GetProperty("credentials");
        var awsCredentials = new AwsCredentials(
            credentials.GetProperty("access_key_id").GetString()!,
            credentials.GetProperty("secret_access_key").GetString()!,
            credentials.TryGetProperty("token", out JsonElement token) ? token.GetString() : null);
        var options = new SigV4Options(
            Normalize: root.GetProperty("normalize").GetBoolean(),
            SignBody: root.GetProperty("sign_body").GetBoolean(),
            OmitSessionToken: root.TryGetProperty("omit_session_token", out JsonElement omit) && omit.GetBoolean());

        SigV4Result result = SigV4Signer.Sign(
            ReadRequest(File.ReadAllText(Path.Combine(directory, "request.txt"))),
            awsCredentials,
            root.GetProperty("region").GetString()!,
            root.GetProperty("service").GetString()!,
            DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            options);

        Assert.Equal(File.ReadAllText(Path.Combine(directory, "header-canonical-request.txt")), result.CanonicalRequest);
        Assert.Equal(File.ReadAllText(Path.Combine(directory, "header-string-to-sign.txt")), result.StringToSign);
        string signature = File.ReadAllText(Path.Combine(directory, "header-signature.txt")).Trim();
        Assert.Equal(signature, result.Signature);
        string authorization = Assert.Single(result.Headers, h => h.Key == "Authorization").Value;
        Assert.EndsWith("Signature=" + signature, authorization, StringComparison.Ordinal);
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={awsCredentials.AccessKeyId}/", authorization, StringComparison.Ordinal);
    }

    /// <summary>The suite's request.txt: the request line, <c>Name:value</c> headers (a line that starts with a space continues the one before), a blank line, the body.</summary>
    private static SigV4Request ReadRequest(string text)
    {
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        string requestLine = lines[0];
        string method = requestLine[..requestLine.IndexOf(' ')];
        string target = requestLine[(method.Length + 1)..requestLine.LastIndexOf(" HTTP/", StringComparison.Ordinal)];
        int question = target.IndexOf('?');
        var headers = new List<KeyValuePair<string, string>>();
        int i = 1;
        for (; i < lines.Length && lines[i].Length > 0; i++)
        {
            if (char.IsWhiteSpace(lines[i][0]) && headers.Count > 0)
            {
                KeyValuePair<string, string> last = headers[^1];
                headers[^1] = new(last.Key, last.Value + " " + lines[i].Trim());
                continue;
            }

            int colon = lines[i].IndexOf(':');
            headers.Add(new(lines[i][..colon], lines[i][(colon + 1)..]));
        }

        string body = i + 1 < lines.Length ? string.Join('\n', lines[(i + 1)..]) : "";
        return new SigV4Request(
            method,
            question < 0 ? target : target[..question],
            question < 0 ? "" : target[(question + 1)..],
            headers,
            Encoding.UTF8.GetBytes(body));
    }
}
