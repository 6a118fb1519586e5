using AkkaProxy.Hosting;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Endpoints;

namespace AkkaProxy.Host;

/// <summary>Builds the relay service: configuration layers, services (both ledger stores), endpoints.</summary>
internal static class RelayApp
{
    /// <summary>The address used when none is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>What <c>--version</c> prints: the product and its version (with the commit, where the build knew it).</summary>
    public static string VersionLine => RelayVersion.Line;

    /// <summary>
    /// Creates the app. Configuration, later layers winning: the embedded reference.conf,
    /// <c>hocon/akkaproxy.conf</c> (or the file named by <c>AKKAPROXY_CONFIG</c>), environment
    /// variables (<c>AKKAPROXY__PIPELINE__IDLETIMEOUT</c>), the command line, then <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="RelayConfigurationException">The configuration cannot be read or used: every problem, each with its path.</exception>
    public static WebApplication Create(string[] args, Action<IConfigurationBuilder>? configure = null, Action<IServiceCollection>? services = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        string file = Environment.GetEnvironmentVariable("AKKAPROXY_CONFIG") ?? Path.Combine("hocon", "akkaproxy.conf");
        try
        {
            builder.Configuration.AddEmbeddedReferenceHocon();
            builder.Configuration.AddHoconFile(file, optional: Environment.GetEnvironmentVariable("AKKAPROXY_CONFIG") is null);
            builder.Configuration.AddEnvironmentVariables();
            builder.Configuration.AddCommandLine(args);
            configure?.Invoke(builder.Configuration);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new RelayConfigurationException([ex.Message]); // a syntax error (with its file, line and column), or a file that cannot be read
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        StartupValidation.ThrowIfInvalid(builder.Configuration); // before the build too: the command line's errors, at once
        // The same call as a service that embeds the relay; here it builds the actor system itself,
        // and both ledger stores are there for akkaproxy.ledger.store to pick.
        builder.AddAkkaProxy(relay => relay.UseSqliteLedger().UsePostgresLedger().UseCluster());
        services?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        // Every relayed request is a POST; only the others may upgrade. The WebSocket middleware sets up an
        // upgrade handshake for each request it sees (an allocation on every POST), so POSTs go around it.
        app.UseWhen(static context => !HttpMethods.IsPost(context.Request.Method), static branch => branch.UseWebSockets());
        app.MapAkkaProxy();
        app.MapAdminEndpoints();
        app.MapAdminDashboardEndpoints();
        app.MapAdminLiveEndpoint();
        app.MapAdminPage();
        if (app.Services.GetRequiredService<AkkaProxy.Hosting.Observability.ObservabilityOptions>() is { Prometheus: true } observability)
        {
            app.MapPrometheusScrapingEndpoint(observability.PrometheusPath);
        }
        return app;
    }
}
