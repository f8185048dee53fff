using Azure.Storage;

namespace SlateDb.ObjectStore;

/// <summary>Creates object stores from URIs, so tools and configuration name a store with one string.</summary>
public static class ObjectStores
{
    private const string SupportedForms =
        "Supported forms: memory://[name], file:///absolute/path, s3://bucket[/prefix][?endpoint=URL&region=REGION], " +
        "az://container[/prefix][?endpoint=URL]";

    private const string S3Credentials =
        "S3 credentials come from the AWS SDK's environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, " +
        "AWS_SESSION_TOKEN) or its default credential chain (profiles, instance roles), never from the URI";

    private const string AzureCredentials =
        "Azure credentials come from AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, " +
        "never from the URI";

    /// <summary>Creates the store a URI names.</summary>
    /// <param name="uri">
    /// <list type="bullet">
    /// <item><c>memory://</c> or <c>memory://name</c>: a new, empty <see cref="InMemoryObjectStore"/> (the name becomes its <see cref="IObjectStore.Uri"/>).</item>
    /// <item><c>file:///absolute/path</c>: a <see cref="LocalFileSystemObjectStore"/> rooted at the path.</item>
    /// <item><c>s3://bucket/prefix?endpoint=http://127.0.0.1:9000&amp;region=us-east-1</c>: an <see cref="S3ObjectStore"/>;
    /// <c>endpoint</c> and <c>region</c> are optional. Credentials come from the AWS SDK's environment variables and chain.</item>
    /// <item><c>az://container/prefix?endpoint=URL</c>: an <see cref="AzureBlobObjectStore"/> on the account named by
    /// <c>AZURE_STORAGE_CONNECTION_STRING</c>, or by <c>AZURE_STORAGE_ACCOUNT</c> and <c>AZURE_STORAGE_KEY</c>;
    /// <c>endpoint</c> (optional) overrides the blob service endpoint, as for Azurite.</item>
    /// </list>
    /// </param>
    /// <returns>The store. S3 and Azure stores own SDK clients; dispose them when done if they are <see cref="IDisposable"/>.</returns>
    /// <exception cref="ArgumentException">The URI is malformed, has an unknown scheme, carries credentials, or names no usable account.</exception>
    public static IObjectStore FromUri(string uri) => FromUri(uri, Environment.GetEnvironmentVariable);

    internal static IObjectStore FromUri(string uri, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(environment);
        var parsed = StoreUri.Parse(uri, SupportedForms);
        return parsed.Scheme switch
        {
            "memory" => FromMemoryUri(parsed),
            "file" => FromFileUri(parsed),
            "s3" => FromS3Uri(parsed),
            "az" => FromAzureUri(parsed, environment),
            _ => throw parsed.Error($"unknown scheme '{parsed.Scheme}'"),
        };
    }

    private static InMemoryObjectStore FromMemoryUri(StoreUri uri)
    {
        uri.RejectQuery();
        // Re-escaped, so the store's URI parses back to the same name.
        var name = uri.Authority + uri.Path;
        return new InMemoryObjectStore(name.Length == 0 ? null : "memory://" + StoreUri.EscapePath(name));
    }

    private static LocalFileSystemObjectStore FromFileUri(StoreUri uri)
    {
        uri.RejectQuery();
        if (uri.Authority.Length > 0 && !string.Equals(uri.Authority, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            throw uri.Error($"a file URI must name a local absolute path (file:///path), not host '{uri.Authority}'");
        }

        if (uri.Path.Length == 0)
        {
            throw uri.Error("a file URI needs an absolute directory path, as in file:///var/data");
        }

        return new LocalFileSystemObjectStore(LocalFileSystemObjectStore.RootFromUriPath(uri.Path));
    }

    private static S3ObjectStore FromS3Uri(StoreUri uri)
    {
        uri.RejectUserInfo(S3Credentials);
        uri.RejectCredentialKeys(S3Credentials);
        uri.RejectUnknownKeys("endpoint", "region");
        if (uri.Authority.Length == 0)
        {
            throw uri.Error("an s3 URI must name a bucket, as in s3://bucket/prefix");
        }

        var options = new S3ObjectStoreOptions
        {
            Bucket = uri.Authority,
            Prefix = uri.Path.TrimStart('/'),
            Endpoint = uri.Query.TryGetValue("endpoint", out var endpoint) ? ParseEndpoint(uri, endpoint) : null,
            Region = uri.Query.GetValueOrDefault("region"),
        };
        return new S3ObjectStore(options);
    }

    private static AzureBlobObjectStore FromAzureUri(StoreUri uri, Func<string, string?> environment)
    {
        uri.RejectUserInfo(AzureCredentials);
        uri.RejectCredentialKeys(AzureCredentials);
        uri.RejectUnknownKeys("endpoint");
        if (uri.Authority.Length == 0)
        {
            throw uri.Error("an az URI must name a container, as in az://container/prefix");
        }

        var endpoint = uri.Query.TryGetValue("endpoint", out var e) ? ParseEndpoint(uri, e) : null;
        var options = new AzureBlobObjectStoreOptions { Container = uri.Authority, Prefix = uri.Path.TrimStart('/') };
        var connectionString = environment("AZURE_STORAGE_CONNECTION_STRING");
        var account = environment("AZURE_STORAGE_ACCOUNT");
        var key = environment("AZURE_STORAGE_KEY");
        if (!string.IsNullOrEmpty(connectionString))
        {
            options.ConnectionString = endpoint is null ? connectionString : WithBlobEndpoint(connectionString, endpoint);
        }
        else if (!string.IsNullOrEmpty(account) && !string.IsNullOrEmpty(key))
        {
            options.ServiceUri = endpoint ?? new Uri($"https://{account}.blob.core.windows.net");
            options.SharedKeyCredential = new StorageSharedKeyCredential(account, key);
        }
        else
        {
            throw uri.Error($"no Azure account configured. {AzureCredentials}");
        }

        return new AzureBlobObjectStore(options);
    }

    private static Uri ParseEndpoint(StoreUri uri, string value)
    {
        if (!System.Uri.TryCreate(value, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw uri.Error($"endpoint '{value}' is not an absolute http or https URL");
        }

        if (endpoint.UserInfo.Length > 0)
        {
            throw uri.Error("the endpoint must not carry credentials");
        }

        return endpoint;
    }

    /// <summary>Replaces (or adds) the <c>BlobEndpoint</c> of an Azure connection string.</summary>
    private static string WithBlobEndpoint(string connectionString, Uri endpoint)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.TrimStart().StartsWith("BlobEndpoint=", StringComparison.OrdinalIgnoreCase));
        return string.Join(';', parts) + ";BlobEndpoint=" + endpoint.AbsoluteUri.TrimEnd('/') + ";";
    }
}
