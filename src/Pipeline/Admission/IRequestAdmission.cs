using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Admission;

/// <summary>
/// Decides whether a routed request may go upstream (budgets, rate limits, allowed models), and
/// learns what each request cost. Added with <see cref="ProxyStreamBuilder.UseAdmission"/>; the HTTP
/// relay asks it once per request and the WebSocket relay once per <c>response.create</c> turn.
/// </summary>
/// <remarks>
/// <para><b>Threading.</b> Both methods are called on the data path, from many threads at once: they
/// must be thread-safe and must not block (no I/O).</para>
/// <para><b>Order.</b> <see cref="Admit"/> runs after authentication, the body's checks and routing,
/// before any request stage, so a refusal sends nothing upstream. The refused request is billed as
/// rejected (cost 0), and <see cref="Billed"/> sees that record too.</para>
/// <para><b>Accounting.</b> <see cref="Billed"/> is called with every billing record when the relay
/// hands it to billing, synchronously and before any billing sink sees it: once a record is
/// observable anywhere, the admission has counted it. A request is admitted or refused on what was
/// billed so far, so requests already in flight when a limit is crossed still complete and are billed:
/// they are the most a limit can be overrun by.</para>
/// </remarks>
public interface IRequestAdmission
{
    /// <summary>Whether the request may go upstream.</summary>
    /// <param name="request">Who asks for what.</param>
    /// <returns>Null to admit it; otherwise the refusal the client gets.</returns>
    AdmissionRefusal? Admit(in AdmissionRequest request);

    /// <summary>
    /// Whether the request may go upstream, for an admission that may have to ask elsewhere first (a
    /// cluster's shared count of a key). The relay calls this one; the default answers with
    /// <see cref="Admit"/>. An implementation completes synchronously whenever it can: the request
    /// waits for it.
    /// </summary>
    /// <param name="request">Who asks for what.</param>
    /// <param name="cancellationToken">Cancelled when the client is gone.</param>
    /// <returns>Null to admit it; otherwise the refusal the client gets.</returns>
    ValueTask<AdmissionRefusal?> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken) => new(Admit(request));

    /// <summary>Told every billing record as the relay hands it to billing, refused ones included.</summary>
    /// <param name="record">The record.</param>
    void Billed(BillingRecord record);

    /// <summary>
    /// Whether the key may use <paramref name="provider"/> at all (its allowed providers), asked
    /// before a WebSocket upgrade is answered with that provider's handshake headers. Counts nothing.
    /// The default allows every provider.
    /// </summary>
    /// <param name="keyId">The authenticated key's id, or null when the relay is open.</param>
    /// <param name="provider">The provider the upgrade would be bound to.</param>
    bool MayUse(string? keyId, Provider provider) => true;
}
