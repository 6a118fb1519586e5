using System.Net.WebSockets;
using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>What a session does with one client message (<see cref="WebSocketSession.Decide"/>).</summary>
internal enum ClientStepKind
{
    /// <summary>Nothing: the message is dropped (the session is ending).</summary>
    Nothing,

    /// <summary>Send <see cref="ClientStep.Payload"/> to the upstream.</summary>
    Forward,

    /// <summary>Send <see cref="ClientStep.Payload"/> (an error event) to the client, then bill <see cref="ClientStep.BillAfterSent"/>.</summary>
    Refuse,

    /// <summary>Dial the upstream for <see cref="ClientStep.Route"/>, then open the turn.</summary>
    Dial,

    /// <summary>Wait for <see cref="ClientStep.Admission"/> (a key's shared limits), then ask the session again (<see cref="WebSocketSession.AfterAdmission"/>).</summary>
    Admit,
}

/// <summary>One decision of the session about a client message; the turn stage carries it out.</summary>
internal readonly record struct ClientStep(ClientStepKind Kind)
{
    public static ClientStep Nothing => new(ClientStepKind.Nothing);

    public ReadOnlyMemory<byte> Payload { get; init; }

    public WebSocketMessageType Type { get; init; } = WebSocketMessageType.Text;

    public BillingRecord? BillAfterSent { get; init; }

    public ProviderRoute? Route { get; init; }

    public RequestBodyInfo Info { get; init; }

    public string? Model { get; init; }

    public Task<AdmissionRefusal?>? Admission { get; init; }

    public static ClientStep Forward(ReadOnlyMemory<byte> payload, WebSocketMessageType type) => new(ClientStepKind.Forward) { Payload = payload, Type = type };

    public static ClientStep Refuse(byte[] payload, BillingRecord? billAfterSent = null) => new(ClientStepKind.Refuse) { Payload = payload, BillAfterSent = billAfterSent };

    public static ClientStep Admit(Task<AdmissionRefusal?> admission, ProviderRoute route, RequestBodyInfo info, string model) =>
        new(ClientStepKind.Admit) { Admission = admission, Route = route, Info = info, Model = model };

    public static ClientStep Dial(ProviderRoute route, RequestBodyInfo info, string model) => new(ClientStepKind.Dial) { Route = route, Info = info, Model = model };
}
