using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// The ledger's store is a package the service adds (<c>relay.UseSqliteLedger()</c>, <c>relay.UsePostgresLedger()</c>)
/// and <c>akkaproxy.ledger.store</c> picks among those added: a store the configuration names but the
/// service did not add, or one that refuses its settings, stops the start with what to do.
/// </summary>
public sealed class LedgerStoreChoiceTests : IDisposable
{
    private readonly string _dataDirectory = TestKit.RelayTestHost.NewDataDirectory();

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private WebApplication Service(string ledger, Action<AkkaProxyOptions> relay)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddHoconText($$"""
            akkaproxy.ledger { data-directory = "{{_dataDirectory.Replace("\\", "/")}}", {{ledger}} }
            """, "relay.conf");
        builder.AddAkkaProxy(relay);
        return builder.Build();
    }

    [Fact]
    public async Task TheDefaultSqliteStore_NotAdded_StopsTheStart_NamingThePackageAndTheCall()
    {
        await using WebApplication app = Service("", _ => { });
        var refused = await Assert.ThrowsAsync<RelayConfigurationException>(() => app.StartAsync());
        string problem = Assert.Single(refused.Problems);
        Assert.Contains("akkaproxy.ledger.store = sqlite", problem, StringComparison.Ordinal);
        Assert.Contains("AkkaProxy.Ledger.Sqlite", problem, StringComparison.Ordinal);
        Assert.Contains("relay.UseSqliteLedger()", problem, StringComparison.Ordinal);
        Assert.Contains("akkaproxy.ledger.enabled = false", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSql_WhenOnlySqliteWasAdded_StopsTheStart_NamingThePostgresPackage()
    {
        await using WebApplication app = Service("store = postgresql, connection-string = \"Host=127.0.0.1;Username=relay\"", relay => relay.UseSqliteLedger());
        var refused = await Assert.ThrowsAsync<RelayConfigurationException>(() => app.StartAsync());
        string problem = Assert.Single(refused.Problems);
        Assert.Contains("AkkaProxy.Ledger.Postgres", problem, StringComparison.Ordinal);
        Assert.Contains("relay.UsePostgresLedger()", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APostgresConnectionStringThatDoesNotRead_StopsTheStart_WithoutItsPassword()
    {
        await using WebApplication app = Service("store = postgresql, connection-string = \"Hots=db;Password=hunter2-secret\"", relay => relay.UsePostgresLedger());
        var refused = await Assert.ThrowsAsync<RelayConfigurationException>(() => app.StartAsync());
        string problem = Assert.Single(refused.Problems);
        Assert.StartsWith("akkaproxy.ledger: the PostgreSQL connection string does not read", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithTheLedgerOff_NoStoreIsNeeded_AndNoneIsMade()
    {
        await using WebApplication app = Service("enabled = false", _ => { });
        await app.StartAsync();
        Assert.Null(app.Services.GetService<ILedgerStore>());
        Assert.Empty(Directory.GetFiles(_dataDirectory));
        await app.StopAsync();
    }

    [Fact]
    public async Task BothAdded_TheConfigurationPicks_AndTheSqliteFileIsMade()
    {
        await using WebApplication app = Service("store = sqlite", relay => relay.UsePostgresLedger().UseSqliteLedger());
        await app.StartAsync();
        Assert.IsType<AkkaProxy.Ledger.Sqlite.SqliteLedgerStore>(app.Services.GetRequiredService<ILedgerStore>());
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "usage.db")));
        await app.StopAsync();
    }
}
