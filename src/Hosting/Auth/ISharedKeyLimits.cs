using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Auth;

/// <summary>
/// Where the keys' counts live when they are shared by several relay nodes (the cluster package's
/// sharded count per key): admission asks it instead of the process's own <see cref="KeyAccount"/>,
/// and every billed record of a key with limits is told to it.
/// </summary>
internal interface ISharedKeyLimits
{
    /// <summary>Counts the request against the key's shared limits, or says which limit refuses it. Completes synchronously while this node holds a lease of the key.</summary>
    ValueTask<AdmissionRefusal?> AdmitAsync(RelayKeyOptions key, CancellationToken cancellationToken);

    /// <summary>Decides on what this node holds only, never waiting: null to admit, a refusal, or a 503 to retry when only the key's entity could say.</summary>
    AdmissionRefusal? TryAdmit(RelayKeyOptions key);

    /// <summary>Counts what a billed request of the key used.</summary>
    void Billed(RelayKeyOptions key, BillingRecord record);
}
