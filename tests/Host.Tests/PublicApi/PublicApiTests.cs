using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Tests.Shared;

namespace AkkaProxy.Host.Tests.PublicApi;

/// <summary>The public API of the AkkaProxy.Hosting package of the two ledger store packages and of the cluster package, each against its snapshot (see <see cref="PublicApiSnapshot"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Hosting_MatchesTheApprovedSnapshot() =>
        PublicApiSnapshot.Verify(typeof(AkkaProxyHostBuilderExtensions).Assembly, RepoPaths.Root, "tests/Host.Tests/PublicApi");

    [Fact]
    public void LedgerSqlite_MatchesTheApprovedSnapshot() =>
        PublicApiSnapshot.Verify(typeof(SqliteLedgerExtensions).Assembly, RepoPaths.Root, "tests/Host.Tests/PublicApi");

    [Fact]
    public void LedgerPostgres_MatchesTheApprovedSnapshot() =>
        PublicApiSnapshot.Verify(typeof(PostgresLedgerExtensions).Assembly, RepoPaths.Root, "tests/Host.Tests/PublicApi");

    [Fact]
    public void Cluster_MatchesTheApprovedSnapshot() =>
        PublicApiSnapshot.Verify(typeof(ClusterExtensions).Assembly, RepoPaths.Root, "tests/Host.Tests/PublicApi");
}
