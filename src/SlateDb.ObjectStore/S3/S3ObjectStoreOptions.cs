using Amazon.Runtime;

namespace SlateDb.ObjectStore;

/// <summary>Settings for an <see cref="S3ObjectStore"/>.</summary>
public sealed class S3ObjectStoreOptions
{
    private bool? _forcePathStyle;
    private bool? _relaxedChecksums;

    /// <summary>The bucket holding the objects. Required; the store does not create it.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>
    /// A key prefix under which every object of this store lives (for example <c>tenants/a</c>); empty for the
    /// bucket root. A trailing <c>/</c> is implied.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// The service URL of an S3-compatible server (MinIO, Ceph radosgw, ...); null for AWS, which then uses
    /// <see cref="Region"/> to find the endpoint.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The region requests are signed for (and, without <see cref="Endpoint"/>, sent to). Defaults to <c>us-east-1</c>.</summary>
    public string? Region { get; set; }

    /// <summary>
    /// Addresses buckets as <c>endpoint/bucket/key</c> instead of <c>bucket.endpoint/key</c>. Defaults to true when
    /// <see cref="Endpoint"/> is set (what self-hosted servers expect) and false otherwise.
    /// </summary>
    public bool ForcePathStyle
    {
        get => _forcePathStyle ?? Endpoint is not null;
        set => _forcePathStyle = value;
    }

    /// <summary>
    /// Computes and validates request and response checksums only where the S3 API requires them. Defaults to
    /// true when <see cref="Endpoint"/> is set: several S3-compatible servers reject the SDK's default streaming
    /// checksums (for example with <c>XAmzContentSHA256Mismatch</c>).
    /// </summary>
    public bool RelaxedChecksums
    {
        get => _relaxedChecksums ?? Endpoint is not null;
        set => _relaxedChecksums = value;
    }

    /// <summary>
    /// The credentials to sign requests with; null uses the SDK's default chain (environment variables
    /// <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, profiles, instance roles, ...).
    /// </summary>
    public AWSCredentials? Credentials { get; set; }

    /// <summary>Unconditional puts larger than this many bytes use a multipart upload. Defaults to 16 MiB.</summary>
    public long MultipartThreshold { get; set; } = 16L * 1024 * 1024;

    /// <summary>The part size of multipart uploads. Defaults to 8 MiB; S3 requires at least 5 MiB.</summary>
    public long PartSize { get; set; } = 8L * 1024 * 1024;

    /// <summary>How many parts of one multipart upload are sent at once. Defaults to 4.</summary>
    public int MultipartConcurrency { get; set; } = 4;

    /// <summary>The clock used for <see cref="ObjectMeta.LastModified"/> of the metadata a put returns.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            throw new ArgumentException("S3ObjectStoreOptions.Bucket must name a bucket.", nameof(Bucket));
        }

        if (PartSize < 5L * 1024 * 1024 || PartSize > 5L * 1024 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(PartSize), PartSize, "S3 parts must be between 5 MiB and 5 GiB.");
        }

        if (MultipartThreshold < PartSize)
        {
            throw new ArgumentOutOfRangeException(nameof(MultipartThreshold), MultipartThreshold, $"The multipart threshold must be at least the part size ({PartSize} bytes).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MultipartConcurrency, 1, nameof(MultipartConcurrency));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        if (Region is not null && !IsRegionName(Region))
        {
            throw new ArgumentException(
                $"S3ObjectStoreOptions.Region '{Region}' is not a region name (up to 63 ASCII letters, digits and inner '-', as in us-east-1).", nameof(Region));
        }

        if (Endpoint is { IsAbsoluteUri: false })
        {
            throw new ArgumentException($"S3ObjectStoreOptions.Endpoint must be an absolute URI: '{Endpoint}'.", nameof(Endpoint));
        }
    }

    // A region names a host component: letters, digits and '-', neither first nor last.
    private static bool IsRegionName(string region)
        => region.Length is > 0 and <= 63 && region[0] != '-' && region[^1] != '-' && region.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
