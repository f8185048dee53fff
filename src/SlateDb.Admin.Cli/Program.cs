using SlateDb.Admin.Cli;

return await SlateDbCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
