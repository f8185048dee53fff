using System.Globalization;
using System.Text;

namespace SlateDb.CrashChild;

/// <summary>
/// One write the child makes: a single put or delete, or a batch of them. It travels from child to parent as one
/// line of text: <c>single|batch</c> then each mutation as <c>key=value</c> or <c>key!</c> (a delete). Keys and
/// values are made of letters, digits and '-', so the encoding needs no escaping.
/// </summary>
public sealed record ChildOp(bool IsBatch, IReadOnlyList<(string Key, string? Value)> Mutations)
{
    /// <summary>The op as the text after <c>begin N </c> in the child's output.</summary>
    public string Encode()
    {
        var text = new StringBuilder(IsBatch ? "batch" : "single");
        foreach (var (key, value) in Mutations)
        {
            text.Append(' ').Append(key).Append(value is null ? "!" : "=" + value);
        }

        return text.ToString();
    }

    /// <summary>Parses <see cref="Encode"/>'s output.</summary>
    /// <exception cref="FormatException">The text is not an encoded op.</exception>
    public static ChildOp Decode(string text)
    {
        var parts = text.Split(' ');
        if (parts.Length < 2 || parts[0] is not ("single" or "batch"))
        {
            throw new FormatException($"Not an encoded write: '{text}'.");
        }

        var mutations = new List<(string, string?)>();
        foreach (var part in parts.AsSpan(1))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                mutations.Add((part[..eq], part[(eq + 1)..]));
            }
            else if (part.EndsWith('!') && part.Length > 1)
            {
                mutations.Add((part[..^1], null));
            }
            else
            {
                throw new FormatException($"Not an encoded mutation: '{part}' in '{text}'.");
            }
        }

        return new ChildOp(parts[0] == "batch", mutations);
    }

    /// <summary>Draws the next write: mostly puts, some deletes, some batches of 2 to 6 mutations.</summary>
    public static ChildOp Next(Random random, int keys, int round, long n)
    {
        string Key() => "k" + random.Next(keys).ToString("D3", CultureInfo.InvariantCulture);
        string Value() => $"r{round}-n{n}-" + new string('x', random.Next(200));
        var roll = random.Next(100);
        if (roll < 60)
        {
            return new ChildOp(false, [(Key(), Value())]);
        }

        if (roll < 75)
        {
            return new ChildOp(false, [(Key(), null)]);
        }

        var count = random.Next(2, 7);
        var mutations = new List<(string, string?)>(count);
        for (var i = 0; i < count; i++)
        {
            mutations.Add((Key(), random.Next(4) == 0 ? null : Value()));
        }

        return new ChildOp(true, mutations);
    }

    /// <summary>Applies the op to <paramref name="db"/>, awaiting durability (the default write options); returns its seq.</summary>
    public async Task<ulong> ApplyAsync(Db db)
    {
        if (!IsBatch)
        {
            var (key, value) = Mutations[0];
            return (await (value is null ? db.DeleteAsync(key) : db.PutAsync(key, value)).ConfigureAwait(false)).Seq;
        }

        using var batch = new WriteBatch();
        foreach (var (key, value) in Mutations)
        {
            _ = value is null ? batch.Delete(key) : batch.Put(key, value);
        }

        return (await db.WriteAsync(batch).ConfigureAwait(false)).Seq;
    }

    /// <summary>Applies the op to a model of the contents (a later mutation of a key in a batch wins).</summary>
    public void ApplyTo(IDictionary<string, string> model)
    {
        foreach (var (key, value) in Mutations)
        {
            if (value is null)
            {
                model.Remove(key);
            }
            else
            {
                model[key] = value;
            }
        }
    }
}
