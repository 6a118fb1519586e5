using System.Diagnostics;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// nginx as the raw passthrough: forwards bytes and parses nothing. Buffering off both ways, HTTP/1.1
/// with keep-alive to the upstream (<c>keepalive 64</c>, <c>Connection ""</c>), WebSocket upgrade for
/// <c>/v1/responses</c>, access log off, its own prefix, pid, logs and temp paths in the harness's
/// temp directory, in the foreground (<c>daemon off</c>) so the harness owns it.
/// </summary>
public sealed class NginxProcess : IAsyncDisposable
{
    private NginxProcess(ChildProcess process, Uri baseUri, string version)
    {
        Process = process;
        BaseUri = baseUri;
        Version = version;
    }

    public ChildProcess Process { get; }

    public Uri BaseUri { get; }

    public string Version { get; }

    /// <summary>nginx's binary, or null when it is not installed.</summary>
    public static string? Find() =>
        new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx", "/usr/local/nginx/sbin/nginx" }.FirstOrDefault(File.Exists);

    public static string Config(string prefix, int listenPort, int upstreamPort) => $$"""
        # Written by the load harness: nginx as a raw reverse proxy in front of the fake upstream.
        daemon off;
        master_process on;
        worker_processes auto;
        worker_rlimit_nofile 16384;
        pid {{prefix}}/nginx.pid;
        error_log {{prefix}}/error.log warn;
        events {
          worker_connections 8192;
        }
        http {
          access_log off;
          client_body_temp_path {{prefix}}/client_body;
          proxy_temp_path {{prefix}}/proxy;
          fastcgi_temp_path {{prefix}}/fastcgi;
          uwsgi_temp_path {{prefix}}/uwsgi;
          scgi_temp_path {{prefix}}/scgi;
          keepalive_requests 1000000;
          keepalive_timeout 120s;
          upstream fake {
            server 127.0.0.1:{{upstreamPort}};
            keepalive 64;
            keepalive_requests 1000000;
          }
          map $http_upgrade $connection_upgrade {
            default upgrade;
            ''      '';
          }
          server {
            listen 127.0.0.1:{{listenPort}} backlog=4096;
            location / {
              proxy_pass http://fake;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_buffering off;
              proxy_request_buffering off;
            }
            location = /v1/responses {
              proxy_pass http://fake;
              proxy_http_version 1.1;
              proxy_set_header Upgrade $http_upgrade;
              proxy_set_header Connection $connection_upgrade;
              proxy_buffering off;
              proxy_request_buffering off;
              proxy_read_timeout 600s;
              proxy_send_timeout 600s;
            }
          }
        }
        """;

    public static async Task<NginxProcess> StartAsync(int upstreamPort, string workDir)
    {
        string nginx = Find() ?? throw new FileNotFoundException("nginx is not installed (scripts/bench.sh installs it: apt-get install nginx-light).");
        string prefix = Path.Combine(workDir, "nginx");
        Directory.CreateDirectory(prefix);
        int port = FreePort.Next();
        string config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(prefix, port, upstreamPort));
        string version = await VersionAsync(nginx);

        var info = new ProcessStartInfo(nginx);
        foreach (string arg in new[] { "-p", prefix, "-c", config, "-e", Path.Combine(prefix, "error.log") })
        {
            info.ArgumentList.Add(arg);
        }

        ChildProcess process = ChildProcess.Start("nginx", info);
        var baseUri = new Uri($"http://127.0.0.1:{port}");
        try
        {
            await ReadyProbe.WaitAsync(baseUri, process, TimeSpan.FromSeconds(20), () => File.Exists(Path.Combine(prefix, "error.log")) ? File.ReadAllText(Path.Combine(prefix, "error.log")) : "");
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new NginxProcess(process, baseUri, version);
    }

    /// <summary>The master and its workers.</summary>
    public IReadOnlyList<int> Pids() => Process.HasExited ? [] : [Process.Pid, .. ProcStats.Children(Process.Pid)];

    public Target AsTarget() => new(Target.Nginx, BaseUri, "", Pids);

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private static async Task<string> VersionAsync(string nginx)
    {
        var info = new ProcessStartInfo(nginx, "-v") { RedirectStandardError = true, UseShellExecute = false };
        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(info)!;
        string text = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text.Trim().Replace("nginx version: ", "", StringComparison.Ordinal);
    }
}
