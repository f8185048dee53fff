using System.Text;
using SlateDb.Infrastructure;
using SlateDb.Manifest.Proto;

namespace SlateDb.Core.Tests.Manifest;

/// <summary>Manifests for tests.</summary>
internal static class TestManifests
{
    /// <summary>A manifest with every field set to a non-default value.</summary>
    public static ManifestData FullyPopulated(ulong seed = 1)
    {
        var random = new DbRandom(seed);
        var manifest = new ManifestData
        {
            WriterEpoch = 7,
            CompactorEpoch = 3,
            ReplayAfterWalId = 41,
            NextWalSstId = 45,
            LastL0Seq = 123_456_789_012,
            L0ClockTick = -17,
            L0LastCompacted = SstId.FromUlid(random.NextUlid(1_700_000_000_000)),
            Initialized = true,
            WalObjectStoreUri = "s3://wal-bucket/prefix",
            RecentSnapshotMinSeq = 99,
        };
        manifest.L0.Add(Handle(random, "k100", "k199", 3));
        manifest.L0.Add(Handle(random, "a", "z", 2));
        var run = new SortedRun { Id = 4 };
        run.Ssts.Add(Handle(random, "a", "m", 1));
        run.Ssts.Add(Handle(random, "n", "zz", 1));
        manifest.SortedRuns.Add(run);
        manifest.SortedRuns.Add(new SortedRun { Id = 2 });
        manifest.Checkpoints.Add(new Checkpoint
        {
            Id = Uuid.FromGuid(random.NextGuid()),
            ManifestId = 12,
            CreateTimeS = 1_700_000_000,
            ExpireTimeS = 1_700_086_400,
            Name = "nightly",
        });
        manifest.Checkpoints.Add(new Checkpoint { Id = Uuid.FromGuid(random.NextGuid()), ManifestId = 13, CreateTimeS = 1_700_000_500 });
        var external = new ExternalDb
        {
            Path = "parent/db",
            SourceCheckpointId = Uuid.FromGuid(random.NextGuid()),
            FinalCheckpointId = Uuid.FromGuid(random.NextGuid()),
        };
        external.SstIds.Add(SstId.FromUlid(random.NextUlid(1_600_000_000_000)));
        external.SstIds.Add(SstId.FromUlid(random.NextUlid(1_600_000_000_001)));
        manifest.ExternalDbs.Add(external);
        return manifest;
    }

    public static SstHandle Handle(DbRandom random, string firstKey, string lastKey, uint formatVersion) => new()
    {
        Id = SstId.FromUlid(random.NextUlid(1_700_000_000_000 + random.NextInt64(0, 1_000_000))),
        FirstKey = Google.Protobuf.ByteString.CopyFrom(Encoding.UTF8.GetBytes(firstKey)),
        LastKey = Google.Protobuf.ByteString.CopyFrom(Encoding.UTF8.GetBytes(lastKey)),
        Size = 4096 + (ulong)random.NextInt64(0, 1 << 20),
        RowCount = 100,
        FormatVersion = formatVersion,
        MinSeq = 10,
        MaxSeq = 20,
    };

    public static Checkpoint Checkpoint(Guid id, ulong manifestId) => new() { Id = Uuid.FromGuid(id), ManifestId = manifestId, CreateTimeS = 1 };
}
