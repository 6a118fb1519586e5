using System.Net;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Auth;

/// <summary>A key's spend survives a restart: the next host reads it back from the usage ledger before it admits anything.</summary>
public sealed class KeySpendRestartTests : IAsyncLifetime
{
    private const string Chat = """{"model":"openai/gpt-4o","messages":[]}""";
    private readonly string _directory = RelayTestHost.NewDataDirectory();
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    [Fact]
    public async Task AfterARestart_TheBudgetSpentBeforeItStillCounts()
    {
        decimal spent;
        await using (RelayTestHost first = await StartAsync())
        {
            using HttpResponseMessage crossing = await first.Http.SendAsync(KeyLimitsTests.PostAs(KeyLimitsTests.BudgetKey, Chat));
            Assert.Equal(HttpStatusCode.OK, crossing.StatusCode);
            BillingRecord record = await first.Billing.WaitForAsync(r => r.KeyId == "budgeted");
            spent = record.Cost!.Value;
        }

        await using RelayTestHost second = await StartAsync();
        using HttpResponseMessage refused = await second.Http.SendAsync(KeyLimitsTests.PostAs(KeyLimitsTests.BudgetKey, Chat));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        string body = await refused.Content.ReadAsStringAsync();
        Assert.Contains($"{spent.ToString("0.00####", System.Globalization.CultureInfo.InvariantCulture)} spent of 0.0001", body);
    }

    private Task<RelayTestHost> StartAsync() =>
        RelayTestHost.StartAsync(_upstream, KeyLimitsTests.Keys, services => services.AddSingleton<TimeProvider>(new FakeTimeProvider(KeyLimitsTests.Start)), dataDirectory: _directory);

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
