using System.Net;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

// AkkaProxy.YarpTarget --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:PORT
//
// YARP as the load harness's second raw passthrough (beside nginx): one route for every path to one
// destination, the fake upstream. HTTP/1.1 to the upstream on pooled keep-alive connections, response
// buffering off (SSE streams event by event), WebSocket upgrades passed through (YARP does that for
// any route), the default X-Forwarded-* headers off (nginx adds none either), nothing else: no
// transforms, no health checks, no load balancing, logging at Warning.
// Kestrel's defaults otherwise, as the relay has them.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
string upstream = builder.Configuration["upstream"] ?? throw new ArgumentException("--upstream http://HOST:PORT is required.");
builder.Logging.SetMinimumLevel(LogLevel.Warning);

RouteConfig route = new()
{
    RouteId = "all",
    ClusterId = "fake",
    Match = new RouteMatch { Path = "{**catch-all}" },
    Transforms = [new Dictionary<string, string> { ["X-Forwarded"] = "Off" }],
};
ClusterConfig cluster = new()
{
    ClusterId = "fake",
    Destinations = new Dictionary<string, DestinationConfig> { ["fake"] = new() { Address = upstream } },
    HttpRequest = new ForwarderRequestConfig
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        AllowResponseBuffering = false,
        ActivityTimeout = TimeSpan.FromMinutes(10),
    },
};
builder.Services.AddReverseProxy().LoadFromMemory([route], [cluster]);

WebApplication app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
