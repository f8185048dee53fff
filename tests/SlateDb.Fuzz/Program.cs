using SlateDb.Fuzz;

return await FuzzCommand.RunAsync(args).ConfigureAwait(false);
