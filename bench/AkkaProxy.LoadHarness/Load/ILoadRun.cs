namespace AkkaProxy.LoadHarness.Load;

/// <summary>A closed-loop run: connect what must be connected, then drive the load through the phases.</summary>
public interface ILoadRun : IAsyncDisposable
{
    Task PrepareAsync();

    Task<LoadResult> RunAsync(LoadPhases phases);
}
