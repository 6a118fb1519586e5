using System.Net;
using System.Net.Sockets;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>A loopback TCP port nobody listens on right now (for processes that need one on their command line).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
