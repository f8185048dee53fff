using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace SlateDb.ObjectStore;

/// <summary>
/// An <see cref="IObjectStore"/> on Amazon S3 or an S3-compatible server (MinIO, Ceph radosgw, ...), using AWSSDK.S3.
/// </summary>
/// <remarks>
/// <para>Creates send <c>If-None-Match: *</c> and updates send <c>If-Match</c> with the etag unquoted (some servers
/// compare the header verbatim). Conditional puts are always single PUT requests, whatever their size: S3-compatible
/// servers that ignore conditions on <c>CompleteMultipartUpload</c> would otherwise overwrite silently. Unconditional
/// puts above <see cref="S3ObjectStoreOptions.MultipartThreshold"/> use a multipart upload.</para>
/// <para>ETags are returned without quotes. The put id is stored as the user metadata
/// <c>x-amz-meta-slatedb-putid</c>. Listing returns keys in the order S3 does: UTF-8 byte order, which agrees with
/// ordinal order except between characters above U+FFFF and those from U+E000 to U+FFFF, which database paths
/// never contain.</para>
/// </remarks>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    internal const string PutIdMetadataKey = "slatedb-putid";

    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly string _bucket;
    private readonly string _keyPrefix;
    private readonly long _multipartThreshold;
    private readonly long _partSize;
    private readonly int _multipartConcurrency;
    private readonly TimeProvider _time;

    /// <summary>Creates a store with its own S3 client built from <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are incomplete or out of range.</exception>
    public S3ObjectStore(S3ObjectStoreOptions options)
        : this(CreateClient(options), ownsClient: true, options)
    {
    }

    /// <summary>
    /// Creates a store on an existing client (which the store does not dispose). The client's own settings decide
    /// the endpoint, region and credentials; <paramref name="options"/> supplies the bucket, prefix and upload sizes
    /// (its endpoint and region only appear in <see cref="Uri"/>).
    /// </summary>
    public S3ObjectStore(IAmazonS3 client, S3ObjectStoreOptions options)
        : this(client ?? throw new ArgumentNullException(nameof(client)), ownsClient: false, options)
    {
    }

    private S3ObjectStore(IAmazonS3 client, bool ownsClient, S3ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var prefix = (options.Prefix ?? "").Trim('/');
        ObjectPaths.ValidatePrefix(prefix, nameof(options.Prefix));
        _client = client;
        _ownsClient = ownsClient;
        _bucket = options.Bucket;
        _keyPrefix = prefix.Length == 0 ? "" : prefix + "/";
        _multipartThreshold = options.MultipartThreshold;
        _partSize = options.PartSize;
        _multipartConcurrency = options.MultipartConcurrency;
        _time = options.TimeProvider;
        Uri = BuildUri(options.Bucket, prefix, options.Endpoint, options.Region);
    }

    /// <summary>
    /// The store's URI: <c>s3://bucket/prefix</c> (percent-escaped), with <c>endpoint</c> and <c>region</c> query
    /// parameters when set; <see cref="ObjectStores.FromUri(string)"/> of it names the same bucket and prefix.
    /// </summary>
    public string Uri { get; }

    /// <summary>The bucket.</summary>
    internal string Bucket => _bucket;

    /// <summary>The prefix every key starts with: empty, or the configured prefix and a '/'.</summary>
    internal string KeyPrefix => _keyPrefix;

    /// <inheritdoc />
    public async Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        if (range is { Length: 0 })
        {
            // Nothing to read, but the caller still learns the object's metadata (or that it is missing).
            return new ObjectData(await HeadAsync(path, cancellationToken).ConfigureAwait(false), ReadOnlyMemory<byte>.Empty);
        }

        var request = new GetObjectRequest { BucketName = _bucket, Key = _keyPrefix + path };
        if (range is { } r)
        {
            var last = r.Length > long.MaxValue - r.Offset ? long.MaxValue : r.End - 1;
            request.ByteRange = new Amazon.S3.Model.ByteRange(r.Offset, last);
        }

        try
        {
            using var response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            var bytes = await ReadBodyAsync(response, path, cancellationToken).ConfigureAwait(false);
            var totalSize = HttpStoreErrors.TotalSizeFromContentRange(response.ContentRange);
            if (totalSize is null && range is { } whole)
            {
                // The server ignored the range and sent the whole object: cut the range out of it.
                var (offset, length) = whole.ClampTo(bytes.Length);
                return new ObjectData(ToMeta(path, bytes.Length, response.LastModified, response.ETag, response.Metadata), bytes.AsMemory((int)offset, (int)length));
            }

            return new ObjectData(ToMeta(path, totalSize ?? bytes.Length, response.LastModified, response.ETag, response.Metadata), bytes);
        }
        catch (Exception e) when (range is not null && S3ErrorMapper.IsInvalidRange(e))
        {
            // 416: the range starts at or past the end. That reads no bytes; HEAD supplies the metadata.
            return new ObjectData(await HeadAsync(path, cancellationToken).ConfigureAwait(false), ReadOnlyMemory<byte>.Empty);
        }
        catch (Exception e) when (S3ErrorMapper.Map(e, S3Operation.Get, path, Uri, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        try
        {
            var request = new GetObjectMetadataRequest { BucketName = _bucket, Key = _keyPrefix + path };
            var response = await _client.GetObjectMetadataAsync(request, cancellationToken).ConfigureAwait(false);
            return ToMeta(path, response.ContentLength, response.LastModified, response.ETag, response.Metadata);
        }
        catch (Exception e) when (S3ErrorMapper.Map(e, S3Operation.Head, path, Uri, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    /// <inheritdoc />
    public async Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(options);
        var key = _keyPrefix + path;
        try
        {
            string? etag;
            if (mode.Kind == PutModeKind.Overwrite && data.Length > _multipartThreshold)
            {
                etag = await S3MultipartUpload.UploadAsync(_client, _bucket, key, data, _partSize, _multipartConcurrency, options.PutId, cancellationToken).ConfigureAwait(false);
                if (string.IsNullOrEmpty(NormalizeETag(etag)))
                {
                    // Some servers (Ceph radosgw) leave the ETag out of the completion response; ask for it.
                    return await HeadAsync(path, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                using var body = new ReadOnlyMemoryStream(data);
                var request = new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = body, AutoCloseStream = false };
                if (mode.Kind == PutModeKind.Create)
                {
                    request.IfNoneMatch = "*";
                }
                else if (mode.Kind == PutModeKind.Update)
                {
                    request.IfMatch = NormalizeETag(mode.ETag);
                }

                if (options.PutId is not null)
                {
                    request.Metadata.Add(PutIdMetadataKey, options.PutId);
                }

                etag = (await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false)).ETag;
            }

            return new ObjectMeta(path, data.Length, _time.GetUtcNow(), NormalizeETag(etag)) { PutId = options.PutId };
        }
        catch (Exception e) when (S3ErrorMapper.Map(e, S3Operation.Put, path, Uri, mode, cancellationToken) is { } mapped)
        {
            return await OwnWriteCheck.OwnWriteOrThrowAsync(mapped, this, path, options, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePrefix(prefix);
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _keyPrefix + prefix };
        if (!string.IsNullOrEmpty(startAfter))
        {
            request.StartAfter = _keyPrefix + startAfter;
        }

        ListObjectsV2Response response;
        do
        {
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (S3ErrorMapper.Map(e, S3Operation.List, prefix, Uri, null, cancellationToken) is { } mapped)
            {
                throw mapped;
            }

            if (response.S3Objects is { } objects)
            {
                foreach (var o in objects)
                {
                    yield return new ObjectMeta(o.Key[_keyPrefix.Length..], o.Size ?? 0, ToOffset(o.LastModified), NormalizeETag(o.ETag));
                }
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true && !string.IsNullOrEmpty(response.NextContinuationToken));
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = _keyPrefix + path }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (string.Equals(e.ErrorCode, "NoSuchKey", StringComparison.Ordinal))
        {
            // Already gone: deleting is idempotent.
        }
        catch (Exception e) when (S3ErrorMapper.Map(e, S3Operation.Delete, path, Uri, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(from, nameof(from));
        ObjectPaths.ValidatePath(to, nameof(to));
        try
        {
            // REPLACE drops the source's user metadata: the copy is a new write, so it must not carry the source's put id.
            var request = new CopyObjectRequest
            {
                SourceBucket = _bucket,
                SourceKey = _keyPrefix + from,
                DestinationBucket = _bucket,
                DestinationKey = _keyPrefix + to,
                MetadataDirective = S3MetadataDirective.REPLACE,
            };
            await _client.CopyObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (S3ErrorMapper.Map(e, S3Operation.Copy, from, Uri, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>Disposes the S3 client if this store created it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => Uri;

    internal static string NormalizeETag(string? etag)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return "";
        }

        var span = etag.AsSpan();
        if (span.StartsWith("W/", StringComparison.Ordinal))
        {
            span = span[2..];
        }

        return span.Trim('"').ToString();
    }

    private static AmazonS3Client CreateClient(S3ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = new AmazonS3Config { ForcePathStyle = options.ForcePathStyle };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is { } region)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        if (options.RelaxedChecksums)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        try
        {
            return options.Credentials is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
        }
        catch (AmazonClientException e) when (options.Endpoint is null && options.Region is null)
        {
            throw new ArgumentException(
                $"No AWS region for bucket '{options.Bucket}': set S3ObjectStoreOptions.Region (region= in an s3:// URI), AWS_REGION, or an Endpoint. {e.Message}",
                nameof(options),
                e);
        }
    }

    private static string BuildUri(string bucket, string prefix, Uri? endpoint, string? region)
    {
        var uri = "s3://" + StoreUri.EscapeAuthority(bucket);
        uri = prefix.Length == 0 ? uri : StoreUri.AppendPath(uri, prefix);
        var query = new List<string>(2);
        if (endpoint is not null)
        {
            query.Add("endpoint=" + System.Uri.EscapeDataString(endpoint.AbsoluteUri.TrimEnd('/')));
        }

        if (region is not null)
        {
            query.Add("region=" + System.Uri.EscapeDataString(region));
        }

        return query.Count == 0 ? uri : uri + "?" + string.Join('&', query);
    }

    private static async Task<byte[]> ReadBodyAsync(GetObjectResponse response, string path, CancellationToken cancellationToken)
    {
        if (response.ContentLength > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(path), response.ContentLength, $"Object '{path}' is too large to read at once; read it in ranges of at most {Array.MaxLength} bytes.");
        }

        var bytes = GC.AllocateUninitializedArray<byte>((int)response.ContentLength);
        await response.ResponseStream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    private static DateTimeOffset ToOffset(DateTime? value) => value switch
    {
        null => DateTimeOffset.UnixEpoch,
        { Kind: DateTimeKind.Utc } v => new DateTimeOffset(v),
        { Kind: DateTimeKind.Local } v => new DateTimeOffset(v.ToUniversalTime()),
        { } v => new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)),
    };

    private static ObjectMeta ToMeta(string path, long size, DateTime? lastModified, string? etag, MetadataCollection? metadata) =>
        new(path, size, ToOffset(lastModified), NormalizeETag(etag)) { PutId = metadata?[PutIdMetadataKey] };
}
