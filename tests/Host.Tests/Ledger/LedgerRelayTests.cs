using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The host persists every billing record to its SQLite ledger, and flushes it when it stops.</summary>
public sealed class LedgerRelayTests : RelayTestBase
{
    [Fact]
    public async Task RelayedRequests_AreInTheLedgerFile_OnceTheHostHasStopped()
    {
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
            response.EnsureSuccessStatusCode();
        }

        await Relay.Billing.WaitForAsync(r => Relay.Billing.Records.Count(x => x.RequestedModel == "openai/gpt-4o") == 3);

        await Relay.App.StopAsync(); // the ledger is flushed before the host's stop returns

        Dictionary<string, Dictionary<string, object?>> rows = LedgerRecords.ReadRows(Relay.LedgerFile);
        BillingRecord[] records = [.. Relay.Billing.Records.Where(r => r.RequestedModel == "openai/gpt-4o")];
        Assert.Equal(3, rows.Count);
        foreach (BillingRecord record in records)
        {
            Dictionary<string, object?> row = rows[record.RequestId];
            Assert.Equal(record.Usage.InputTokens, row["input_tokens"]);
            Assert.Equal(record.Usage.OutputTokens, row["output_tokens"]);
            Assert.Equal(record.Cost!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), row["cost"]);
            Assert.Equal("completed", row["outcome"]);
            Assert.Equal("team-a", row["key_id"]);
        }
    }
}
