using Microsoft.AspNetCore.Connections;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Kestrel connection middleware that gives each client connection its <see cref="ConnectionScope"/>
/// and stops the connection's graphs when it closes. Optional: on a server that tells when a connection
/// closes (Kestrel does, through <c>IConnectionLifetimeFeature</c>) the relay makes a connection's scope
/// itself at its first relayed request; on one that does not, each request pays a graph of its own.
/// </summary>
public static class ConnectionScopeMiddleware
{
    /// <summary>Adds the connection scope to a Kestrel endpoint: <c>kestrel.ConfigureEndpointDefaults(listen => listen.UseAkkaProxyConnections())</c>.</summary>
    public static IConnectionBuilder UseAkkaProxyConnections(this IConnectionBuilder connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        return connections.Use(next => async connection =>
        {
            using var scope = new ConnectionScope();
            connection.Items[ConnectionScope.Key] = scope;
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Items.Remove(ConnectionScope.Key);
            }
        });
    }
}
