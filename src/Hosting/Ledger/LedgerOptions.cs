namespace AkkaProxy.Hosting.Ledger;

/// <summary>The durable usage ledger (<c>akkaproxy.ledger</c>).</summary>
internal sealed class LedgerOptions
{
    /// <summary>Whether billing records are persisted. Off: they reach the log and the in-memory view only.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where records are kept: a SQLite file (the default) or a PostgreSQL database.</summary>
    public LedgerStoreKind Store { get; set; } = LedgerStoreKind.Sqlite;

    /// <summary>
    /// The PostgreSQL connection string (Npgsql's keywords: <c>Host=...;Database=...;Username=...</c>),
    /// for <see cref="LedgerStoreKind.Postgresql"/>; wins over <see cref="ConnectionStringEnv"/>. Empty: read the variable.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The environment variable holding the PostgreSQL connection string, when <see cref="ConnectionString"/> is empty (keeps the password out of files).</summary>
    public string ConnectionStringEnv { get; set; } = "AKKAPROXY_LEDGER_CONNECTION";

    /// <summary>Where the SQLite file lives; relative paths are under the host's content root.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The SQLite file's name, in <see cref="DataDirectory"/>.</summary>
    public string FileName { get; set; } = "usage.db";

    /// <summary>Most records written in one transaction.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Longest a record waits for its batch to fill before the batch is written anyway.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Records waiting for the writer; when full, the billing actor waits (never a stream).</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>Pause before a failed batch is written again (the same records: inserts are idempotent).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The PostgreSQL connection string: <see cref="ConnectionString"/>, else the variable named by <see cref="ConnectionStringEnv"/>; null when neither has one.</summary>
    internal string? ResolveConnectionString(Func<string, string?>? environment = null)
    {
        if (ConnectionString.Length > 0)
        {
            return ConnectionString;
        }

        environment ??= Environment.GetEnvironmentVariable;
        return string.IsNullOrWhiteSpace(ConnectionStringEnv) ? null : environment(ConnectionStringEnv) is { Length: > 0 } value ? value : null;
    }

    /// <summary>Throws one exception naming every problem (one per line).</summary>
    internal void Validate(Func<string, string?>? environment = null)
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Store))
        {
            problems.Add($"akkaproxy.ledger.store = '{Store}' is not a ledger store: use sqlite or postgresql.");
        }

        if (BatchSize < 1 || QueueCapacity < 1)
        {
            problems.Add("akkaproxy.ledger: batch-size and queue-capacity must be at least 1.");
        }

        if (FlushInterval <= TimeSpan.Zero || RetryDelay <= TimeSpan.Zero)
        {
            problems.Add("akkaproxy.ledger: flush-interval and retry-delay must be positive.");
        }

        if (Enabled && Store == LedgerStoreKind.Postgresql && ResolveConnectionString(environment) is null)
        {
            // The store's package reads the string itself (AkkaProxy.Ledger.Postgres); here only whether there is one.
            problems.Add(
                "akkaproxy.ledger.store = postgresql needs a connection string: set akkaproxy.ledger.connection-string, "
                + $"or the environment variable named by connection-string-env ({(string.IsNullOrWhiteSpace(ConnectionStringEnv) ? "none is named" : ConnectionStringEnv + ", unset")}).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join('\n', problems));
        }
    }
}
