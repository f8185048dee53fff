using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;

namespace SlateDb.ObjectStore;

/// <summary>Settings for an <see cref="AzureBlobObjectStore"/>.</summary>
/// <remarks>
/// Give either <see cref="ConnectionString"/>, or <see cref="ServiceUri"/> with at most one of
/// <see cref="Credential"/> (Microsoft Entra ID) and <see cref="SharedKeyCredential"/> (account key); a
/// <see cref="ServiceUri"/> without a credential is used as is (for example with a SAS token in its query).
/// </remarks>
public sealed class AzureBlobObjectStoreOptions
{
    /// <summary>A storage account connection string (for Azurite, its development connection string).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob service endpoint, such as <c>https://account.blob.core.windows.net</c>.</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>An Entra ID credential for <see cref="ServiceUri"/>.</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>An account name and key for <see cref="ServiceUri"/>.</summary>
    public StorageSharedKeyCredential? SharedKeyCredential { get; set; }

    /// <summary>The container holding the objects. Required.</summary>
    public string Container { get; set; } = "";

    /// <summary>A blob name prefix under which every object of this store lives; empty for the container root. A trailing <c>/</c> is implied.</summary>
    public string? Prefix { get; set; }

    /// <summary>Creates the container on first use when it does not exist.</summary>
    public bool CreateContainerIfMissing { get; set; }

    /// <summary>Puts up to this many bytes are sent as one request; larger ones as staged blocks. Defaults to 16 MiB.</summary>
    public long SingleUploadThreshold { get; set; } = 16L * 1024 * 1024;

    /// <summary>The block size of staged uploads. Defaults to 8 MiB.</summary>
    public long BlockSize { get; set; } = 8L * 1024 * 1024;

    /// <summary>How many blocks of one upload are sent at once. Defaults to 4.</summary>
    public int UploadConcurrency { get; set; } = 4;

    /// <summary>Options for the SDK client (retries, diagnostics, service version); null for the SDK's defaults.</summary>
    public BlobClientOptions? ClientOptions { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Container))
        {
            throw new ArgumentException("AzureBlobObjectStoreOptions.Container must name a container.", nameof(Container));
        }

        if (ConnectionString is null == ServiceUri is null)
        {
            throw new ArgumentException("AzureBlobObjectStoreOptions needs exactly one of ConnectionString and ServiceUri.", nameof(ConnectionString));
        }

        if (ConnectionString is not null && (Credential is not null || SharedKeyCredential is not null))
        {
            throw new ArgumentException("A connection string carries its own credentials; do not also set Credential or SharedKeyCredential.", nameof(Credential));
        }

        if (Credential is not null && SharedKeyCredential is not null)
        {
            throw new ArgumentException("Set at most one of Credential and SharedKeyCredential.", nameof(Credential));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(BlockSize, 1, nameof(BlockSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(SingleUploadThreshold, 1, nameof(SingleUploadThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(UploadConcurrency, 1, nameof(UploadConcurrency));
    }

    internal BlobServiceClient CreateServiceClient()
    {
        if (ConnectionString is not null)
        {
            return new BlobServiceClient(ConnectionString, ClientOptions);
        }

        if (Credential is not null)
        {
            return new BlobServiceClient(ServiceUri!, Credential, ClientOptions);
        }

        return SharedKeyCredential is not null
            ? new BlobServiceClient(ServiceUri!, SharedKeyCredential, ClientOptions)
            : new BlobServiceClient(ServiceUri!, ClientOptions);
    }
}
