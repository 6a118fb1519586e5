using AkkaProxy.Benchmarks;
using BenchmarkDotNet.Running;

if (args is ["--alloc-probe"])
{
    AllocationProbe.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
