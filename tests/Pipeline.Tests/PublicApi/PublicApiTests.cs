using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Tests.Shared;

namespace AkkaProxy.Pipeline.Tests.PublicApi;

/// <summary>The public API of the AkkaProxy.Pipeline package against its snapshot (see <see cref="PublicApiSnapshot"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_MatchesTheApprovedSnapshot() =>
        PublicApiSnapshot.Verify(typeof(ProxyStreamFactory).Assembly, RepoPaths.Root, "tests/Pipeline.Tests/PublicApi");
}
