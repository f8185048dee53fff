using BenchmarkDotNet.Running;

// Micro-benchmarks of the engine's hot paths. Run one group with, for example:
//   dotnet run -c Release --project bench/SlateDb.Benchmarks -- --filter '*Block*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
