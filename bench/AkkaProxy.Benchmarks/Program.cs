using System.Globalization;
using AkkaProxy.Benchmarks;
using AkkaProxy.Benchmarks.Ledger;
using BenchmarkDotNet.Running;

if (args is ["--alloc-probe"])
{
    AllocationProbe.Run();
    return;
}

if (args is ["--supervisor-probe"])
{
    SupervisorProbe.Run();
    return;
}

if (args is ["--limits-probe"])
{
    await ClusterLimitsProbe.RunAsync();
    return;
}

if (args is ["--ledger", ..])
{
    await LedgerWriterRun.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AllocationProbe).Assembly).Run(args);
