namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// New request ids (one per HTTP request or WebSocket turn): <c>req_</c> and a version 7 UUID, so
/// ids sort by the time they were made. A store keyed by them (the usage ledger) appends to its index
/// instead of writing a page anywhere in it per record: measured, random ids made each batch of 256
/// touch up to 256 index pages.
/// </summary>
internal static class RequestIds
{
    public static string New() => "req_" + Guid.CreateVersion7().ToString("N");
}
