namespace AkkaProxy.Pipeline.Routing;

/// <summary>AWS credentials: an access key, its secret, and a session token for temporary ones.</summary>
internal sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    /// <summary>The access key id, never the secret: a record's printed form must not leak it.</summary>
    public override string ToString() => AccessKeyId;
}
