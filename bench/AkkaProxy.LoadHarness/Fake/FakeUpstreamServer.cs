using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// The fake provider as a process of its own (<c>AkkaProxy.LoadHarness fake</c>): Kestrel on
/// 127.0.0.1, the endpoints of <see cref="FakeHttpEndpoint"/> and <see cref="FakeWebSocketEndpoint"/>.
/// Prints <c>listening http://127.0.0.1:PORT</c> when ready; stops when its standard input closes
/// (the harness went away) or on SIGTERM.
/// </summary>
public static class FakeUpstreamServer
{
    public const string ReadyLinePrefix = "listening ";

    public static async Task<int> RunAsync(int port)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        await using WebApplication app = builder.Build();
        app.UseWebSockets();
        app.MapPost("/v1/chat/completions", context => FakeHttpEndpoint.HandleAsync(context, chat: true));
        app.MapPost("/v1/responses", context => FakeHttpEndpoint.HandleAsync(context, chat: false));
        app.MapGet("/v1/responses", FakeWebSocketEndpoint.HandleAsync);
        app.MapPost(ConversationEndpoint.Path, ConversationEndpoint.PostAsync);
        app.MapGet(ConversationEndpoint.Path, ConversationEndpoint.WebSocketAsync);
        app.MapGet("/conv/stats", () => Microsoft.AspNetCore.Http.Results.Json(new { connections = Interlocked.Read(ref ConversationEndpoint.NewConnections), misses = Interlocked.Read(ref ConversationEndpoint.Misses), turns = Interlocked.Read(ref ConversationEndpoint.Turns) }));
        app.MapGet("/healthz", () => "ok");
        await app.StartAsync();

        Console.Out.WriteLine(ReadyLinePrefix + app.Urls.First());
        Console.Out.Flush();
        Task stdinClosed = Task.Run(() => Console.In.ReadToEnd());
        await Task.WhenAny(stdinClosed, app.WaitForShutdownAsync());
        await app.StopAsync();
        return 0;
    }
}
