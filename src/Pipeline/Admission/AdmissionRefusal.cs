namespace AkkaProxy.Pipeline.Admission;

/// <summary>Why a request was not admitted: the client gets it in its API's error shape.</summary>
/// <param name="Status">The HTTP status: 429 for a limit, 403 for a model or provider the key may not use.</param>
/// <param name="Code">The error's <c>code</c> (<c>rate_limit_exceeded</c>, <c>budget_exceeded</c>, ...); also the billing record's error code.</param>
/// <param name="Message">What the client reads: which limit, and when it resets.</param>
/// <param name="RetryAfter">When the limit resets, if it does; sent as <c>Retry-After</c> (whole seconds, rounded up) over HTTP.</param>
/// <param name="Type">The error's <c>type</c> for OpenAI's shape (<c>requests</c>, <c>tokens</c>, <c>insufficient_quota</c>, <c>permission_error</c>); Anthropic clients get <c>rate_limit_error</c> or <c>permission_error</c> by the status.</param>
public sealed record AdmissionRefusal(int Status, string Code, string Message, TimeSpan? RetryAfter, string Type);
