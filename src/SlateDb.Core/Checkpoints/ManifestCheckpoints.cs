using SlateDb.Manifest.Proto;

namespace SlateDb.Checkpoints;

// Checkpoints are entries of the manifest: { id, manifest_id, create_time_s, expire_time_s?, name? }. An entry pins
// manifest `manifest_id` and so every SST and WAL range that manifest references (GC keeps them). These are the changes
// every path makes to that list (the writer, the admin's detached checkpoints, clones, readers, GC), applied to a
// manifest being written, so each is part of one CAS update.
//
// Invariants
//  1. A new checkpoint without a source pins the manifest that carries it (the id being written), so the pinned
//     manifest itself lists the checkpoint; with a source it pins the source's manifest id.
//  2. Times are whole seconds; a lifetime is rounded up, so a checkpoint never expires earlier than asked.
//  3. Ids are unique within a manifest; removing a missing id is not an error, refreshing one is.

/// <summary>Adds, refreshes, removes and lists the checkpoints of a manifest being changed.</summary>
internal static class ManifestCheckpoints
{
    /// <summary>The longest name a checkpoint may carry, in UTF-16 code units.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Validates <paramref name="options"/> before anything is flushed or written.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The lifetime is not positive.</exception>
    /// <exception cref="ArgumentException">The name is empty or longer than <see cref="MaxNameLength"/>.</exception>
    public static void Validate(CheckpointOptions? options)
    {
        if (options is null)
        {
            return;
        }

        if (options.Lifetime is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), lifetime, $"{nameof(CheckpointOptions.Lifetime)} must be positive (null means the checkpoint never expires).");
        }

        if (options.Name is { } name && (name.Length == 0 || name.Length > MaxNameLength))
        {
            throw new ArgumentException($"{nameof(CheckpointOptions.Name)} must be 1 to {MaxNameLength} characters long (it is {name.Length}).", nameof(options));
        }
    }

    /// <summary>
    /// Adds checkpoint <paramref name="id"/> to <paramref name="manifest"/>, which will be written as manifest
    /// <paramref name="writtenId"/>.
    /// </summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the source checkpoint does not exist,
    /// or the id is taken.</exception>
    public static CheckpointInfo Add(ManifestData manifest, ulong writtenId, Guid id, CheckpointOptions? options, DateTimeOffset now, string dbPath)
    {
        Validate(options);
        if (Find(manifest, id) is not null)
        {
            throw new SlateDbException(SlateDbErrorKind.Invalid, $"The database '{dbPath}' already has a checkpoint {id}.");
        }

        var pinned = writtenId;
        if (options?.Source is { } source)
        {
            pinned = (Find(manifest, source) ?? throw Missing(dbPath, source, "the source checkpoint")).ManifestId;
        }

        var created = now.ToUnixTimeSeconds();
        var entry = new Checkpoint { Id = Uuid.FromGuid(id), ManifestId = pinned, CreateTimeS = created };
        if (options?.Lifetime is { } lifetime)
        {
            entry.ExpireTimeS = ExpireAt(now, lifetime);
        }

        if (options?.Name is { } name)
        {
            entry.Name = name;
        }

        manifest.Checkpoints.Add(entry);
        return ToInfo(entry);
    }

    /// <summary>Sets the expiry of checkpoint <paramref name="id"/> to now + <paramref name="lifetime"/>, or clears it when null.</summary>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) no such checkpoint.</exception>
    public static CheckpointInfo Refresh(ManifestData manifest, Guid id, TimeSpan? lifetime, DateTimeOffset now, string dbPath)
    {
        if (lifetime is { } l && l <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), l, "A checkpoint lifetime must be positive (null means it never expires).");
        }

        var entry = Find(manifest, id) ?? throw Missing(dbPath, id, "checkpoint");
        if (lifetime is { } value)
        {
            entry.ExpireTimeS = ExpireAt(now, value);
        }
        else
        {
            entry.ClearExpireTimeS();
        }

        return ToInfo(entry);
    }

    /// <summary>Removes checkpoint <paramref name="id"/>; false when it was not there.</summary>
    public static bool Remove(ManifestData manifest, Guid id)
    {
        var wire = Uuid.FromGuid(id);
        for (var i = 0; i < manifest.Checkpoints.Count; i++)
        {
            if (manifest.Checkpoints[i].Id.Equals(wire))
            {
                manifest.Checkpoints.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes every checkpoint whose expiry is at or before <paramref name="now"/>; returns how many.</summary>
    public static int RemoveExpired(ManifestData manifest, DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        var removed = 0;
        for (var i = manifest.Checkpoints.Count - 1; i >= 0; i--)
        {
            if (manifest.Checkpoints[i].HasExpireTimeS && manifest.Checkpoints[i].ExpireTimeS <= seconds)
            {
                manifest.Checkpoints.RemoveAt(i);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>The entry of checkpoint <paramref name="id"/>, or null.</summary>
    public static Checkpoint? Find(ManifestData manifest, Guid id)
    {
        var wire = Uuid.FromGuid(id);
        foreach (var entry in manifest.Checkpoints)
        {
            if (entry.Id is not null && entry.Id.Equals(wire))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>The checkpoints of <paramref name="manifest"/>, those named <paramref name="name"/> only when given.</summary>
    public static List<CheckpointInfo> List(ManifestData manifest, string? name = null)
    {
        var found = new List<CheckpointInfo>(manifest.Checkpoints.Count);
        foreach (var entry in manifest.Checkpoints)
        {
            if (name is null || (entry.HasName && string.Equals(entry.Name, name, StringComparison.Ordinal)))
            {
                found.Add(ToInfo(entry));
            }
        }

        return found;
    }

    /// <summary>The public view of a manifest entry.</summary>
    public static CheckpointInfo ToInfo(Checkpoint entry) => new()
    {
        Id = entry.Id?.ToGuid() ?? Guid.Empty,
        ManifestId = entry.ManifestId,
        CreateTime = DateTimeOffset.FromUnixTimeSeconds(entry.CreateTimeS),
        ExpireTime = entry.HasExpireTimeS ? DateTimeOffset.FromUnixTimeSeconds(entry.ExpireTimeS) : null,
        Name = entry.HasName ? entry.Name : null,
    };

    /// <summary>The error for a checkpoint id the database does not have.</summary>
    public static SlateDbException Missing(string dbPath, Guid id, string what)
        => new(SlateDbErrorKind.Invalid, $"The database '{dbPath}' has no checkpoint {id} ({what}); list its checkpoints to see which exist.");

    private static long ExpireAt(DateTimeOffset now, TimeSpan lifetime)
    {
        if (lifetime > DateTimeOffset.MaxValue - now)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "The checkpoint lifetime reaches past the largest date; use null for a checkpoint that never expires.");
        }

        var expire = now + lifetime;
        var seconds = expire.ToUnixTimeSeconds();
        return expire > DateTimeOffset.FromUnixTimeSeconds(seconds) ? seconds + 1 : seconds;
    }
}
