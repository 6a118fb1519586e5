using AkkaProxy.Hosting.Ledger;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// A test over one kind of ledger storage, fresh for each test (<typeparamref name="TStorage"/>):
/// the base of the contracts every store is held to, each run once per store.
/// </summary>
public abstract class LedgerStorageTest<TStorage> : IAsyncLifetime
    where TStorage : LedgerTestStorage, new()
{
    private readonly List<ILedgerStore> _opened = [];

    /// <summary>This test's storage.</summary>
    protected TStorage Storage { get; } = new();

    public Task InitializeAsync() => Storage.CreateAsync();

    public async Task DisposeAsync()
    {
        foreach (ILedgerStore store in _opened)
        {
            await store.DisposeAsync();
        }

        await Storage.DisposeAsync();
    }

    /// <summary>A new store over this test's storage, not initialized; disposed after the test.</summary>
    private protected ILedgerStore NewStore()
    {
        ILedgerStore store = Storage.NewStore();
        _opened.Add(store);
        return store;
    }

    /// <summary>A store over this test's storage, initialized; disposed after the test.</summary>
    private protected async Task<ILedgerStore> OpenAsync()
    {
        ILedgerStore store = NewStore();
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>Disposes <paramref name="store"/> now (to reopen the storage with another).</summary>
    private protected async Task CloseAsync(ILedgerStore store)
    {
        _opened.Remove(store);
        await store.DisposeAsync();
    }
}
