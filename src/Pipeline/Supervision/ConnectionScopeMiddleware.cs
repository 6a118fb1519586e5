using Microsoft.AspNetCore.Connections;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Kestrel connection middleware that gives each client connection its <see cref="ConnectionScope"/>
/// and stops the connection's graphs when it closes. Without it the relay still works, paying one
/// graph materialization per request.
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
