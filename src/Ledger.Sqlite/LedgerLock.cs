using AkkaProxy.Hosting.Ledger;

namespace AkkaProxy.Ledger.Sqlite;

/// <summary>
/// One relay per SQLite ledger: the store holds <c>&lt;file&gt;.lock</c> open with an exclusive lock
/// (on Linux and macOS an <c>flock</c>, released by the kernel when the process ends, even by
/// <c>kill -9</c>) for its life. Two relays on one file would each enforce budgets on their own spend
/// while sharing the records; the second one refuses to start instead.
/// </summary>
internal static class LedgerLock
{
    public static FileStream Take(string ledgerPath)
    {
        string path = ledgerPath + ".lock";
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new LedgerInUseException(
                $"The usage ledger {ledgerPath} is in use by another relay process (it holds {path}). Two relays on one SQLite ledger would each enforce budgets alone: " +
                "stop the other one, or give this one a ledger of its own (akkaproxy.ledger.data-directory, or AKKAPROXY_DATA_DIR). Relays that share a ledger use PostgreSQL (akkaproxy.ledger.store = postgresql).", ex);
        }
    }
}

/// <summary>Another relay process holds this SQLite ledger; the host prints the message and exits with code 2.</summary>
public sealed class LedgerInUseException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public LedgerInUseException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
