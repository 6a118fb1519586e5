using System.Diagnostics;
using AkkaProxy.LoadHarness.Fake;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>The fake upstream, run as this same program in <c>fake</c> mode in a process of its own.</summary>
public sealed class FakeProcess : IAsyncDisposable
{
    private FakeProcess(ChildProcess process, Uri baseUri)
    {
        Process = process;
        BaseUri = baseUri;
    }

    public ChildProcess Process { get; }

    public Uri BaseUri { get; }

    public int Port => BaseUri.Port;

    public static async Task<FakeProcess> StartAsync()
    {
        var info = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true };
        string self = Environment.ProcessPath ?? "dotnet";
        info.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(FakeUpstreamServer).Assembly.Location);
        }

        info.ArgumentList.Add("fake");
        ChildProcess process = ChildProcess.Start("fake upstream", info);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await process.Process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith(FakeUpstreamServer.ReadyLinePrefix, StringComparison.Ordinal))
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"The fake upstream did not start: '{line}'.");
        }

        var baseUri = new Uri(line[FakeUpstreamServer.ReadyLinePrefix.Length..].Trim());
        await ReadyProbe.WaitAsync(baseUri, process, TimeSpan.FromSeconds(10), () => "");
        return new FakeProcess(process, baseUri);
    }

    public async ValueTask DisposeAsync()
    {
        Process.Process.StandardInput.Close();
        await Process.DisposeAsync();
    }
}
