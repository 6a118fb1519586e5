using System.Text;
using AkkaProxy.Hosting.Auth;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Host.Tests.Auth;

/// <summary>Reading the admin credential: Basic's password (after the first colon, any user), else the Bearer key.</summary>
public sealed class PresentedAdminKeyTests
{
    private static string? Presented(string authorization)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = authorization;
        return RelayKeyValidator.PresentedAdminKey(context.Request);
    }

    private static string Basic(string pair) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));

    [Theory]
    [InlineData("admin:secret", "secret")]
    [InlineData(":secret", "secret")]
    [InlineData("me:pa:ss:wörd", "pa:ss:wörd")] // RFC 7617: the user id has no colon; the password may
    [InlineData("admin:", "")]
    public void BasicCredentials_GiveThePassword(string pair, string password) =>
        Assert.Equal(password, Presented(Basic(pair)));

    [Fact]
    public void OtherCredentials_GiveTheBearerKey_OrNothing()
    {
        Assert.Equal("the-key", Presented("Bearer the-key"));
        Assert.Null(Presented(Basic("no-colon")));
        Assert.Null(Presented("Basic !!!"));
        Assert.Equal(new string('k', 4000), Presented(Basic("u:" + new string('k', 4000)))); // no length limit of its own
    }
}
