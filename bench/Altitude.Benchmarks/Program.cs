// Altitude micro benchmarks. Run: dotnet run -c Release --project bench/Altitude.Benchmarks -- --filter '*'
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Altitude.Benchmarks.DispatchBenchmarks).Assembly).Run(args);
