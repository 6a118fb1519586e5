using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>A query parameter of the admin endpoints that does not read gets a 400 in their error shape, naming it.</summary>
public sealed class AdminParameterTests : RelayTestBase
{
    [Theory]
    [InlineData("/admin/usage?limit=many", "limit")]
    [InlineData("/admin/usage?from=yesterday", "from")]
    [InlineData("/admin/usage/summary?by=key&to=soon", "to")]
    public async Task ABadParameter_GetsA400_NamingIt(string path, string parameter)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = body.RootElement.GetProperty("error");
        Assert.Equal("invalid_parameter", error.GetProperty("code").GetString());
        Assert.StartsWith($"'{parameter}'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
