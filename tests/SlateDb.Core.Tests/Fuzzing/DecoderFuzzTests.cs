using CsCheck;
using SlateDb.Testing.Fuzzing;
using Xunit;

namespace SlateDb.Core.Tests.Fuzzing;

/// <summary>
/// The CI mode of decoder fuzzing: every parser (<see cref="FuzzTargets.All"/>) fed its valid seed inputs, mutated
/// seeds (bit flips, edge values in length fields, inserted, deleted and copied ranges, truncation) and random bytes,
/// from CsCheck generators driven by a fixed PCG seed, so each run feeds the same inputs. Only the documented
/// exception may escape, and the two block decoders agree (see <see cref="FuzzTarget"/>). The long mode is
/// tests/SlateDb.Fuzz.
/// </summary>
public class DecoderFuzzTests
{
    private const int MutatedInputs = 4000;
    private const int RandomInputs = 800;

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(t => t.Name)];

    private static readonly Gen<Mutation> MutationGen =
        Gen.Select(Gen.Int[0, 8], Gen.UInt, Gen.UInt, Gen.UInt[1, 64], Gen.UInt)
            .Select((kind, position, value, length, source) => new Mutation((MutationKind)kind, position, value, length, source));

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Seeds_decode(string name)
    {
        var target = FuzzTargets.Get(name);
        Assert.NotEmpty(target.Seeds);
        foreach (var seed in target.Seeds)
        {
            await target.RunAsync(seed);
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Mutated_and_random_inputs_raise_only_the_documented_exception(string name)
    {
        var target = FuzzTargets.Get(name);
        var seeds = target.Seeds;
        var mutated = Gen.Select(Gen.Int[0, seeds.Count - 1], MutationGen.Array[1, 6])
            .Select((seed, mutations) => Mutation.ApplyAll(seeds[seed], mutations));
        var random = Gen.Byte.Array[0, 512];
        var pcg = new PCG(1, name.Aggregate(14_695_981_039_346_656_037UL, (h, c) => (h ^ c) * 1_099_511_628_211UL));   // FNV-1a of the name
        for (var i = 0; i < MutatedInputs; i++)
        {
            await target.RunAsync(mutated.Generate(pcg, null, out _));
        }

        for (var i = 0; i < RandomInputs; i++)
        {
            await target.RunAsync(random.Generate(pcg, null, out _));
        }
    }
}
