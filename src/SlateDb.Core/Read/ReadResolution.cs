namespace SlateDb.Read;

/// <summary>What resolving a key's versions needs from its database: the merge operator and the clock rows expire by.</summary>
/// <param name="MergeOperator">The configured merge operator, or null.</param>
/// <param name="Time">The database's clock.</param>
internal sealed record ReadResolution(IMergeOperator? MergeOperator, TimeProvider Time)
{
    /// <summary>Now, in milliseconds since the Unix epoch.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A resolver for one key (or, with <see cref="VersionResolver.Reset"/>, for many) at the current time.</summary>
    public VersionResolver NewResolver() => new(MergeOperator, NowMs);
}
