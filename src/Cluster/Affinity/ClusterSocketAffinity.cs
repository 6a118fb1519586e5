using System.Collections.Concurrent;
using Akka.Actor;
using AkkaProxy.Pipeline.Pooling;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Cluster.Affinity;

/// <summary>
/// Conversation affinity across the cluster's nodes: this node's pools tell the directory (a sharded
/// bucket per hash of the response id) which responses their idle sockets hold; a continuation of a
/// response held elsewhere is sent on to that node (<see cref="NodeForwarder"/>), which serves and
/// bills it over its socket. A response this node holds is decided here without a message.
/// </summary>
internal sealed class ClusterSocketAffinity(NodeForwarder forwarder, ILogger<ClusterSocketAffinity> logger) : ISocketAffinityDirectory
{
    private string _member = "";

    /// <summary>Longest a request waits for the directory's answer before it is served where it is.</summary>
    internal static readonly TimeSpan LookupTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest a turn's end waits for the directory to have its response.</summary>
    internal static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The responses this node's sockets hold, each with the directory's acknowledgement of it.</summary>
    private readonly ConcurrentDictionary<string, Task> _here = new(StringComparer.Ordinal);
    private IActorRef? _directory;

    /// <summary>The directory's shard region, once the actor system started it.</summary>
    /// <param name="directory">The region.</param>
    /// <param name="member">This node's cluster address.</param>
    public void Attach(IActorRef directory, string member)
    {
        _member = member;
        Volatile.Write(ref _directory, directory);
    }

    /// <inheritdoc />
    public Task Holds(string responseId)
    {
        if (_here.TryGetValue(responseId, out Task? known))
        {
            return known; // told at the turn's start already
        }

        if (Volatile.Read(ref _directory) is not { } directory || forwarder.SelfUrl is not { } self)
        {
            return Task.CompletedTask; // no directory yet: nothing to tell, nothing remembered
        }

        Task told = directory.Ask<SocketAt>(new SocketHeld(responseId, self, _member), HoldTimeout)
            .ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default); // a timeout only costs affinity
        return _here.GetOrAdd(responseId, told);
    }

    /// <inheritdoc />
    public void Released(string responseId)
    {
        if (_here.TryRemove(responseId, out _) && Volatile.Read(ref _directory) is { } directory && forwarder.SelfUrl is { } self)
        {
            directory.Tell(new SocketReleased(responseId, self));
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryForwardAsync(HttpContext context, string previousResponseId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (_here.ContainsKey(previousResponseId) || Volatile.Read(ref _directory) is not { } directory || forwarder.SelfUrl is not { } self)
        {
            return false; // here, or no directory yet: served here
        }

        string owner;
        try
        {
            owner = (await directory.Ask<SocketAt>(new WhereIsSocket(previousResponseId), LookupTimeout, cancellationToken).ConfigureAwait(false)).Node;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return true; // the client is gone: nothing to serve anywhere
        }
        catch (Exception ex) when (ex is AskTimeoutException or OperationCanceledException)
        {
            logger.LogDebug("The directory did not say in time which node holds {ResponseId}; served here.", previousResponseId);
            return false;
        }

        if (owner.Length == 0 || owner == self || !Uri.TryCreate(owner, UriKind.Absolute, out Uri? node) || node.Scheme is not ("http" or "https"))
        {
            return false;
        }

        return await forwarder.TryForwardAsync(context, node, body, cancellationToken).ConfigureAwait(false);
    }
}
