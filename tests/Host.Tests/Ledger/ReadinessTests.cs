using System.Net;
using System.Text.Json;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary><c>GET /readyz</c>: ready with every check passing.</summary>
public sealed class ReadinessTests : RelayTestBase
{
    [Fact]
    public async Task AStartedRelay_IsReady_WithEveryCheckPassing()
    {
        using HttpResponseMessage response = await Relay.Http.GetAsync("/readyz");
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("ok", body.RootElement.GetProperty("checks").GetProperty("relay").GetProperty("status").GetString());
        Assert.Equal("ok", body.RootElement.GetProperty("checks").GetProperty("ledger").GetProperty("status").GetString());
    }
}

/// <summary><c>GET /readyz</c> with a ledger whose disk fails: requests are still relayed, and the relay says it is not ready, and why.</summary>
public sealed class UnwritableLedgerReadinessTests : RelayTestBase
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<ILedgerStore>(new UnwritableStore());

    [Fact]
    public async Task ALedgerThatCannotWrite_MakesTheRelayNotReady_WithTheReason()
    {
        using HttpResponseMessage relayed = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
        Assert.Equal(HttpStatusCode.OK, relayed.StatusCode); // a failing ledger fails no request
        LedgerWriter writer = Relay.App.Services.GetRequiredService<LedgerWriter>();
        await WaitUntilAsync(() => writer.LastFailure is not null, "the ledger's failed write");

        using HttpResponseMessage response = await Relay.Http.GetAsync("/readyz");
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("not_ready", body.RootElement.GetProperty("status").GetString());
        JsonElement ledger = body.RootElement.GetProperty("checks").GetProperty("ledger");
        Assert.Equal("failing", ledger.GetProperty("status").GetString());
        Assert.Contains(UnwritableStore.Reason, ledger.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("ok", body.RootElement.GetProperty("checks").GetProperty("relay").GetProperty("status").GetString());
    }

    private sealed class UnwritableStore : ILedgerStore
    {
        public const string Reason = "disk full (test)";

        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken) => throw new IOException(Reason);

        public Task<long> CountAsync(CancellationToken cancellationToken) => Task.FromResult(0L);

        public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken) => Task.FromResult(new LedgerPage([], null));

        public Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<LedgerSummaryRow>>([]);

        public Task<IReadOnlyList<LedgerSeriesPoint>> SeriesAsync(LedgerGrouping by, LedgerBucket bucket, LedgerRange range, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<LedgerSeriesPoint>>([]);

        public Task<IReadOnlyList<AkkaProxy.Pipeline.Billing.BillingRecord>> MostExpensiveAsync(LedgerRange range, int limit, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<AkkaProxy.Pipeline.Billing.BillingRecord>>([]);

        public Task<IReadOnlyList<LedgerOutcomeCount>> OutcomesAsync(LedgerRange range, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<LedgerOutcomeCount>>([]);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
