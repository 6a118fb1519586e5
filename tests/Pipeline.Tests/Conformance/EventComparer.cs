using System.Text;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// <c>openai_event</c>, <c>anthropic_event</c>, <c>responses_event</c> and
/// <c>responses_completed_response_obj</c>: one event's data through the stage chain as a single SSE
/// event. Compares whether it was accepted, recognised as <c>[DONE]</c> or rejected, and what it said.
/// </summary>
internal static class EventComparer
{
    private const string Accepted = "accepted";
    private const string Done = "done";
    private const string Rejected = "rejected";

    public static void Compare(LlmproxyFixture fixture, FieldComparison comparison)
    {
        ApiKind api = ApiSelection.Of(fixture);
        byte[] data = fixture.Kind == "responses_completed_response_obj"
            ? Encoding.UTF8.GetBytes("{\"type\":\"response.completed\",\"response\":" + fixture.Input + "}") // the response object of a response.completed event
            : fixture.InputBytes;
        DriveResult ours = PipelineDriver.Event(api, data);

        string llmproxyOutcome = Observed.Str(fixture.Observed, "error") switch
        {
            "" => Accepted,
            "stream complete" => Done,
            _ => Rejected,
        };
        string ourOutcome = ours.Unreadable ? Rejected
            : ours.SawDoneMarker && ours.Terminal == TerminalKind.Completed ? Done
            : Accepted;
        comparison.Equal("outcome", llmproxyOutcome, ourOutcome);
        if (llmproxyOutcome != Accepted || ourOutcome != Accepted)
        {
            return;
        }

        UsageComparison.Compare(comparison, LlmproxyUsage.FromEvent(Observed.Find(fixture.Observed, "usage")), ours.Usage, comparePresence: true);
        if (Observed.Has(fixture.Observed, "type"))
        {
            EventType llmproxyType = EventTypes.Identify(Encoding.UTF8.GetBytes(Observed.Str(fixture.Observed, "type")));
            comparison.Equal("type", llmproxyType.ToString(), ours.LastFacts.Type.ToString());
        }

        if (Observed.Has(fixture.Observed, "id"))
        {
            comparison.Equal("id", Observed.Str(fixture.Observed, "id"), ours.ResponseId);
        }
    }
}
