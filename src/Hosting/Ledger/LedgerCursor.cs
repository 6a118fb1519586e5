using System.Globalization;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Ledger;

/// <summary>
/// The opaque cursor of a ledger page, the same for every store: the last record's start time (Unix
/// milliseconds) and request id, <c>1764581400125_req_...</c>. The next page holds the records
/// strictly before that pair, in (start time, request id) order, newest first.
/// </summary>
internal static class LedgerCursor
{
    /// <summary>The cursor after <paramref name="last"/>.</summary>
    public static string After(BillingRecord last) =>
        $"{last.StartedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}_{last.RequestId}";

    /// <summary>The position a cursor names; (null, null) for none.</summary>
    /// <exception cref="FormatException">Not a cursor a ledger gave.</exception>
    public static (long? Ms, string? Id) Parse(string? cursor)
    {
        if (cursor is null)
        {
            return (null, null);
        }

        int split = cursor.IndexOf('_', StringComparison.Ordinal);
        if (split <= 0 || !long.TryParse(cursor.AsSpan(0, split), NumberStyles.None, CultureInfo.InvariantCulture, out long ms))
        {
            throw new FormatException("The cursor is not one this ledger gave.");
        }

        return (ms, cursor[(split + 1)..]);
    }
}
