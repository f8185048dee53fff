using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace SlateDb.ObjectStore;

/// <summary>An <see cref="IObjectStore"/> on Azure Blob Storage (block blobs), using Azure.Storage.Blobs.</summary>
/// <remarks>
/// <para>Creates send <c>If-None-Match: *</c> and updates send <c>If-Match</c>; large puts are staged as blocks and
/// the conditions apply to the final block-list commit, so they hold at any size. ETags are returned without
/// quotes. The put id is stored as the blob metadata <c>slatedbputid</c>. Blob names are listed in the service's
/// order (UTF-8 bytes for Azure, UTF-16 code units for Azurite); both agree with ordinal order except between
/// characters above U+FFFF and those from U+E000 to U+FFFF, which database paths never contain.</para>
/// </remarks>
public sealed class AzureBlobObjectStore : IObjectStore
{
    internal const string PutIdMetadataKey = "slatedbputid";

    private readonly BlobContainerClient _container;
    private readonly string _keyPrefix;
    private readonly bool _createContainer;
    private readonly StorageTransferOptions _transfer;
    private volatile bool _containerReady;

    /// <summary>Creates a store with its own client built from <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are incomplete or contradictory.</exception>
    public AzureBlobObjectStore(AzureBlobObjectStoreOptions options)
        : this(CreateContainerClient(options), options)
    {
    }

    /// <summary>
    /// Creates a store on an existing container client. <paramref name="options"/> (optional) supplies the prefix,
    /// upload sizes and <see cref="AzureBlobObjectStoreOptions.CreateContainerIfMissing"/>; its connection settings
    /// and container name are ignored.
    /// </summary>
    public AzureBlobObjectStore(BlobContainerClient container, AzureBlobObjectStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        options ??= new AzureBlobObjectStoreOptions();
        var prefix = (options.Prefix ?? "").Trim('/');
        ObjectPaths.ValidatePrefix(prefix, nameof(options.Prefix));
        _container = container;
        _keyPrefix = prefix.Length == 0 ? "" : prefix + "/";
        _createContainer = options.CreateContainerIfMissing;
        _transfer = new StorageTransferOptions
        {
            InitialTransferSize = options.SingleUploadThreshold,
            MaximumTransferSize = options.BlockSize,
            MaximumConcurrency = options.UploadConcurrency,
        };
        var serviceUri = container.Uri.GetLeftPart(UriPartial.Path);
        serviceUri = serviceUri[..serviceUri.TrimEnd('/').LastIndexOf('/')];
        var root = "az://" + StoreUri.EscapeAuthority(container.Name);
        root = prefix.Length == 0 ? root : StoreUri.AppendPath(root, prefix);
        Uri = $"{root}?endpoint={System.Uri.EscapeDataString(serviceUri)}";
    }

    /// <summary>
    /// The store's URI: <c>az://container/prefix?endpoint=blob-service-endpoint</c> (percent-escaped);
    /// <see cref="ObjectStores.FromUri(string)"/> of it names the same container and prefix.
    /// </summary>
    public string Uri { get; }

    /// <summary>The container's name.</summary>
    internal string ContainerName => _container.Name;

    /// <summary>The prefix every blob name starts with: empty, or the configured prefix and a '/'.</summary>
    internal string KeyPrefix => _keyPrefix;

    /// <inheritdoc />
    public async Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        if (range is { Length: 0 })
        {
            return new ObjectData(await HeadAsync(path, cancellationToken).ConfigureAwait(false), ReadOnlyMemory<byte>.Empty);
        }

        var options = new BlobDownloadOptions();
        if (range is { } r)
        {
            options.Range = r.Length > long.MaxValue - r.Offset ? new HttpRange(r.Offset) : new HttpRange(r.Offset, r.Length);
        }

        try
        {
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
            var result = (await Blob(path).DownloadContentAsync(options, cancellationToken).ConfigureAwait(false)).Value;
            var details = result.Details;
            var size = HttpStoreErrors.TotalSizeFromContentRange(details.ContentRange) ?? details.ContentLength;
            return new ObjectData(ToMeta(path, size, details.LastModified, details.ETag, details.Metadata), result.Content.ToMemory());
        }
        catch (Exception e) when (range is not null && AzureErrorMapper.IsInvalidRange(e))
        {
            // 416: the range starts at or past the end. That reads no bytes; HEAD supplies the metadata.
            return new ObjectData(await HeadAsync(path, cancellationToken).ConfigureAwait(false), ReadOnlyMemory<byte>.Empty);
        }
        catch (Exception e) when (AzureErrorMapper.Map(e, AzureOperation.Get, path, Uri, null, cancellationToken) is { } mapped)
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
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
            var properties = (await Blob(path).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return ToMeta(path, properties.ContentLength, properties.LastModified, properties.ETag, properties.Metadata);
        }
        catch (Exception e) when (AzureErrorMapper.Map(e, AzureOperation.Head, path, Uri, null, cancellationToken) is { } mapped)
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
        var upload = new BlobUploadOptions { TransferOptions = _transfer };
        if (mode.Kind == PutModeKind.Create)
        {
            upload.Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
        }
        else if (mode.Kind == PutModeKind.Update)
        {
            upload.Conditions = new BlobRequestConditions { IfMatch = QuotedETag(mode.ETag!) };
        }

        if (options.PutId is not null)
        {
            upload.Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [PutIdMetadataKey] = options.PutId };
        }

        try
        {
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
            var info = (await Blob(path).UploadAsync(BinaryData.FromBytes(data), upload, cancellationToken).ConfigureAwait(false)).Value;
            return new ObjectMeta(path, data.Length, info.LastModified, NormalizeETag(info.ETag)) { PutId = options.PutId };
        }
        catch (Exception e) when (AzureErrorMapper.Map(e, AzureOperation.Put, path, Uri, mode, cancellationToken) is { } mapped)
        {
            return await OwnWriteCheck.OwnWriteOrThrowAsync(mapped, this, path, options, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePrefix(prefix);
        var after = string.IsNullOrEmpty(startAfter) ? null : _keyPrefix + startAfter;
        IAsyncEnumerator<BlobItem> blobs;
        try
        {
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
            // StartFrom is inclusive; the exact match is skipped below.
            var request = new GetBlobsOptions { Prefix = _keyPrefix + prefix, StartFrom = after };
            blobs = _container.GetBlobsAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception e) when (AzureErrorMapper.Map(e, AzureOperation.List, prefix, Uri, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }

        await using (blobs.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await blobs.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception e) when (AzureErrorMapper.Map(e, AzureOperation.List, prefix, Uri, null, cancellationToken) is { } mapped)
                {
                    throw mapped;
                }

                var blob = blobs.Current;
                if (after is not null && string.CompareOrdinal(blob.Name, after) <= 0)
                {
                    continue;
                }

                var properties = blob.Properties;
                yield return new ObjectMeta(blob.Name[_keyPrefix.Length..], properties.ContentLength ?? 0, properties.LastModified ?? DateTimeOffset.UnixEpoch, NormalizeETag(properties.ETag));
            }
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        try
        {
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
            await Blob(path).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AzureErrorMapper.Map(e, AzureOperation.Delete, path, Uri, null, cancellationToken) is { } mapped)
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
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);

            // A copy inside one account is authorised by the destination request and completes synchronously;
            // waiting covers the general case.
            var operation = await Blob(to).StartCopyFromUriAsync(Blob(from).Uri, new BlobCopyFromUriOptions(), cancellationToken).ConfigureAwait(false);
            await operation.WaitForCompletionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AzureErrorMapper.Map(e, AzureOperation.Copy, from, Uri, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Uri;

    internal static string NormalizeETag(ETag? etag) => etag is { } e ? e.ToString().Trim('"') : "";

    private static ETag QuotedETag(string etag) => new(etag.StartsWith('"') ? etag : "\"" + etag + "\"");

    private static BlobContainerClient CreateContainerClient(AzureBlobObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.CreateServiceClient().GetBlobContainerClient(options.Container);
    }

    private static ObjectMeta ToMeta(string path, long size, DateTimeOffset lastModified, ETag etag, IDictionary<string, string>? metadata) =>
        new(path, size, lastModified, NormalizeETag(etag))
        {
            PutId = metadata is not null && metadata.TryGetValue(PutIdMetadataKey, out var putId) ? putId : null,
        };

    private BlobClient Blob(string path) => _container.GetBlobClient(_keyPrefix + path);

    private async ValueTask EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (!_createContainer || _containerReady)
        {
            return;
        }

        // Idempotent, so concurrent first calls may both send it; a failure leaves the flag unset for the next call.
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        _containerReady = true;
    }
}
