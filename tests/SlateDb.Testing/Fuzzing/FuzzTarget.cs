namespace SlateDb.Testing.Fuzzing;

/// <summary>
/// One parser under fuzzing: a name, valid inputs to mutate (its seed corpus) and a check that feeds it one input.
/// The check returns normally when the parser accepted the input or refused it with an allowed exception, and throws
/// <see cref="FuzzFailureException"/> otherwise (another exception type, or two decoders that disagree).
/// </summary>
public sealed class FuzzTarget
{
    private readonly Func<byte[], ValueTask> _run;
    private readonly Lazy<IReadOnlyList<byte[]>> _seeds;
    private readonly Type _refusal;

    internal FuzzTarget(string name, string description, Func<IReadOnlyList<byte[]>> seeds, Func<byte[], ValueTask> run, Type? refusal = null)
    {
        Name = name;
        Description = description;
        _seeds = new Lazy<IReadOnlyList<byte[]>>(seeds);
        _run = run;
        _refusal = refusal ?? typeof(CorruptionException);
    }

    /// <summary>The target's name (for the command line and messages).</summary>
    public string Name { get; }

    /// <summary>What the target parses and what it may throw.</summary>
    public string Description { get; }

    /// <summary>Valid inputs, built deterministically by the code that writes them.</summary>
    public IReadOnlyList<byte[]> Seeds => _seeds.Value;

    /// <summary>Feeds <paramref name="input"/> to the parser.</summary>
    /// <exception cref="FuzzFailureException">The parser failed in a way it must not.</exception>
    public async ValueTask RunAsync(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            await _run(input).ConfigureAwait(false);
        }
        catch (FuzzFailureException)
        {
            throw;
        }
        catch (Exception e) when (e.GetType() == _refusal)
        {
            // The documented refusal: CorruptionException for decoders, ArgumentException for URIs.
        }
        catch (Exception e)
        {
            throw new FuzzFailureException(Name, input, $"{e.GetType().Name} escaped: {e.Message}", e);
        }

        CheckAllocation(input, allocatedBefore);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    // A parser must size what it allocates by the bytes it was given, never by a length field alone: an input may
    // cost a fixed allowance plus a bounded multiple of its size (decoded blocks, keys and views of them).
    private void CheckAllocation(byte[] input, long allocatedBefore)
    {
        const long Allowance = 16 << 20;
        const long PerInputByte = 1024;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        if (allocated > Allowance + (PerInputByte * input.Length))
        {
            throw new FuzzFailureException(Name, input, $"allocated {allocated} bytes for an input of {input.Length} bytes (a length field was trusted before it was checked)");
        }
    }
}
