using AkkaProxy.Hosting.Ledger;

namespace AkkaProxy.Hosting.Auth;

/// <summary>
/// At start-up, reads each budgeted key's spend in its current period back from the usage ledger, so
/// a restart does not hand out a fresh budget. Records still being written when the last process
/// was killed are outside the ledger's durability window (docs/ledger.md) and are not counted.
/// </summary>
internal sealed class KeySpendRestorer(KeyPolicy policy, IServiceProvider services, TimeProvider time, ILogger<KeySpendRestorer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (policy.IsShared)
        {
            return; // the cluster's entity of each key reads its spend back when it starts
        }

        if (services.GetService<ILedgerStore>() is not { } ledger)
        {
            logger.LogWarning("The usage ledger is off: relay key budgets count only this process's spend and start again from zero after a restart.");
            policy.MarkRestored();
            return;
        }

        // The ledger writer's own start, before this one, opened and migrated the store.
        DateTimeOffset now = time.GetUtcNow();
        foreach (IGrouping<DateTimeOffset, KeyAccount> period in policy.Budgeted.GroupBy(a => a.PeriodStart(now)))
        {
            IReadOnlyList<LedgerSummaryRow> rows = await ledger.SummarizeAsync(LedgerGrouping.Key, new LedgerRange(period.Key, null), cancellationToken).ConfigureAwait(false);
            foreach (KeyAccount account in period)
            {
                decimal spent = rows.FirstOrDefault(r => r.Group == account.Key.Id)?.Cost ?? 0m;
                account.Restore(period.Key, spent);
                logger.LogInformation("Relay key {KeyId} has spent {Spent} of its budget of {Budget} since {PeriodStart:o}.", account.Key.Id, spent, account.Key.Budget, period.Key);
            }
        }

        policy.MarkRestored();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
