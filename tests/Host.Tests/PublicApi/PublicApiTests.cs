using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Tests.Shared;

namespace AkkaProxy.Host.Tests.PublicApi;

/// <summary>The public API of the AkkaProxy.Hosting package against its snapshot (see <see cref="PublicApiSnapshot"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_MatchesTheApprovedSnapshot() =>
        PublicApiSnapshot.Verify(typeof(AkkaProxyHostBuilderExtensions).Assembly, RepoPaths.Root, "tests/Host.Tests/PublicApi");
}
