using System.ClientModel;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>The relay host on real Kestrel at 127.0.0.1:0, configured against a <see cref="FakeUpstream"/>.</summary>
public sealed class RelayTestHost : IAsyncDisposable
{
    public const string RelayKey = "relay-key-team-a";
    public const string AdminKey = "admin-key-for-tests";
    public const string AdminKeyEnv = "AKKAPROXY_TEST_ADMIN_KEY";
    public const string OpenAIUpstreamKey = "sk-upstream-openai-secret";
    public const string AnthropicUpstreamKey = "sk-ant-upstream-secret";

    private readonly bool _ownsDataDirectory;

    private RelayTestHost(WebApplication app, CapturingBillingSink billing, RelayProbe probe, string dataDirectory, bool ownsDataDirectory)
    {
        _ownsDataDirectory = ownsDataDirectory;
        DataDirectory = dataDirectory;
        App = app;
        Billing = billing;
        Probe = probe;
        BaseUrl = new Uri(app.Urls.First());
        Http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    /// <summary>This host's own data directory (its usage ledger), a fresh temporary one, deleted with the host.</summary>
    public string DataDirectory { get; }

    /// <summary>The usage ledger's SQLite file.</summary>
    public string LedgerFile => Path.Combine(DataDirectory, "usage.db");

    public CapturingBillingSink Billing { get; }

    /// <summary>Sees each HTTP request start and its handler return; can watch response bodies.</summary>
    public RelayProbe Probe { get; }

    public Uri BaseUrl { get; }

    public HttpClient Http { get; }

    /// <summary>The relay configuration of the tests, against <paramref name="upstream"/>; <paramref name="extraHocon"/> comes last.</summary>
    public static string Hocon(FakeUpstream upstream, string extraHocon = "", string? dataDirectory = null)
    {
        dataDirectory ??= NewDataDirectory();
        Environment.SetEnvironmentVariable(AdminKeyEnv, AdminKey);
        string url = upstream.BaseUrl.ToString().TrimEnd('/');
        return $$"""
            akkaproxy {
              pipeline { max-event-bytes = 1MiB, idle-timeout = 30s, upstream-response-timeout = 30s }
              routing {
                model-map { "gpt-*" = openai, "claude-*" = anthropic }
                providers {
                  openai { kind = openai, base-url = "{{url}}/v1", api-key = "{{OpenAIUpstreamKey}}", models = ["gpt-4o"] }
                  anthropic { kind = anthropic, base-url = "{{url}}", api-key = "{{AnthropicUpstreamKey}}" }
                  compat { kind = openai-compatible, base-url = "{{url}}/v1/", accepts-stream-options = false, headers { "X-Compat-Tag" = "tagged" } }
                  nokey { kind = openai, base-url = "{{url}}", api-key-env = "AKKAPROXY_TEST_UNSET_KEY_VAR" }
                  deadend { kind = openai, base-url = "http://127.0.0.1:9/v1", api-key = "x" }
                  ollama { enabled = false }
                  gemini { enabled = false }
                }
              }
              pricing {
                "gpt-4o" { input = 2.50, cached-input = 1.25, output = 10.00 }
                "claude-*" { input = 3.00, cached-input = 0.30, cache-write = 3.75, output = 15.00 }
              }
              auth {
                keys { team-a { key = "{{RelayKey}}" } }
                admin-key-env = {{AdminKeyEnv}}
              }
              ledger { data-directory = "{{dataDirectory.Replace("\\", "/")}}" }
              # Tests stop hosts with nothing open (RelayTestBase waits for that); a bound, should one be left.
              shutdown { drain-timeout = 5s }
            }
            Logging.LogLevel.Default = Warning
            {{extraHocon}}
            """;
    }

    /// <summary>
    /// Starts the relay. <paramref name="extraHocon"/> is appended last, so it overrides;
    /// <paramref name="services"/> runs after the relay's own registrations, so a test can replace
    /// one (a <see cref="TimeProvider"/>, for instance); <paramref name="pipeline"/> adds stages of
    /// the test's own after the configured ones (a <c>Flow</c>, say). With <paramref name="dataDirectory"/>
    /// the host uses that directory (a restart: the test owns it and deletes it); otherwise a fresh one of its own.
    /// </summary>
    public static async Task<RelayTestHost> StartAsync(FakeUpstream upstream, string extraHocon = "", Action<IServiceCollection>? services = null, Action<ProxyStreamBuilder>? pipeline = null, string? dataDirectory = null)
    {
        bool owns = dataDirectory is null;
        dataDirectory ??= NewDataDirectory();
        string hocon = Hocon(upstream, extraHocon, dataDirectory);
        var billing = new CapturingBillingSink();
        var probe = new RelayProbe();
        WebApplication app = RelayApp.Create(
            ["--urls", "http://127.0.0.1:0"],
            config => config.AddHoconText(hocon, "test.conf"),
            collection =>
            {
                collection.AddSingleton<IBillingSink>(billing);
                collection.AddSingleton(probe.StartupFilter());
                if (pipeline is not null)
                {
                    // The relay's pipeline, then the test's own stages: as an embedder's RelayServicesOptions.Pipeline adds them.
                    collection.AddSingleton(sp => RelayServices.BuildPipeline(sp, sp.GetRequiredService<IConfiguration>(), pipeline));
                }

                services?.Invoke(collection);
            });
        billing.Connect(app.Services.GetRequiredService<BillingGateway>(), probe,
            app.Services.GetRequiredService<AkkaProxy.Pipeline.Supervision.HttpRelay>().Connections,
            app.Services.GetRequiredService<AkkaProxy.Pipeline.Supervision.WebSocketRelay>().Connections);
        await app.StartAsync();
        return new RelayTestHost(app, billing, probe, dataDirectory, owns);
    }

    /// <summary>The official OpenAI SDK pointed at the relay.</summary>
    public OpenAIClient OpenAI(string key = RelayKey) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(BaseUrl, "/v1"), NetworkTimeout = TimeSpan.FromSeconds(60), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsDataDirectory)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    /// <summary>A fresh temporary directory for one host's ledger.</summary>
    public static string NewDataDirectory() =>
        Directory.CreateTempSubdirectory("akkaproxy-test-").FullName;
}
