using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.Transport;

public sealed class ErrorResponsesTests
{
    [Theory]
    [InlineData(401, "invalid_api_key", false)]
    [InlineData(403, "model_not_allowed", false)]
    [InlineData(403, "model_not_priced", false)]
    [InlineData(400, "model_not_found", false)]
    [InlineData(413, "request_too_large", false)]
    [InlineData(429, "budget_exceeded", false)] // a 429 the SDKs would retry, spent until the period ends
    [InlineData(500, "provider_key_missing", false)] // a 500 the SDKs would retry, until an operator sets the key
    [InlineData(429, "rate_limit_exceeded", null)] // Retry-After says when the window passes
    [InlineData(503, "relay_shutting_down", null)]
    [InlineData(502, "upstream_unreachable", null)]
    [InlineData(504, "upstream_timeout", null)]
    [InlineData(500, "relay_stage_failed", null)]
    [InlineData(409, "", null)]
    [InlineData(408, "", null)]
    public void ShouldRetry_SaysNo_OnlyWhereTheSameRequestMustFailTheSameWay(int status, string code, bool? expected) =>
        Assert.Equal(expected, ErrorResponses.ShouldRetry(status, code));
}
