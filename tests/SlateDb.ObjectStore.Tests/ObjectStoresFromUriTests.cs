using SlateDb.Testing;
using Xunit;

namespace SlateDb.ObjectStore.Tests;

public sealed class ObjectStoresFromUriTests
{
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public async Task Memory_uri_gives_a_fresh_empty_store_each_time()
    {
        var first = ObjectStores.FromUri("memory://");
        var second = ObjectStores.FromUri("memory://");
        Assert.IsType<InMemoryObjectStore>(first);
        Assert.NotEqual(first.Uri, second.Uri);

        await first.PutAsync("k", new byte[] { 1 }, PutMode.Create);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => second.GetAsync("k"));
    }

    [Fact]
    public void Memory_uri_may_name_the_store()
    {
        Assert.Equal("memory://wal-store", ObjectStores.FromUri("memory://wal-store").Uri);
        Assert.Equal("memory://a/b", ObjectStores.FromUri("MEMORY://a/b").Uri);
    }

    [Fact]
    public async Task File_uri_opens_a_local_store_at_the_absolute_path()
    {
        using var folder = new TempDirectory("fromuri");
        var store = ObjectStores.FromUri(new Uri(folder.FullPath).AbsoluteUri);
        Assert.IsType<LocalFileSystemObjectStore>(store);

        await store.PutAsync("a/b", new byte[] { 7 }, PutMode.Create);
        Assert.True(File.Exists(Path.Combine(folder.FullPath, "a", "b")));
        Assert.Equal(store.Uri, ObjectStores.FromUri(store.Uri).Uri);
    }

    [Fact]
    public async Task File_uri_decodes_escapes_in_the_path()
    {
        using var folder = new TempDirectory("from uri");
        var root = Path.Combine(folder.FullPath, "with space");
        var store = ObjectStores.FromUri("file://" + root.Replace(" ", "%20", StringComparison.Ordinal));
        await store.PutAsync("x", new byte[] { 1 }, PutMode.Create);
        Assert.True(File.Exists(Path.Combine(root, "x")));
    }

    [Theory]
    [InlineData("file://server/share/db", "host 'server'")]
    [InlineData("file://", "absolute directory path")]
    [InlineData("file:///data?sync=1", "no query parameters")]
    public void Bad_file_uris_are_rejected(string uri, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri(uri));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3_uri_with_endpoint_and_region_builds_a_store_that_names_itself_the_same_way()
    {
        using var store = Assert.IsType<S3ObjectStore>(ObjectStores.FromUri("s3://my-bucket/tenants/a?endpoint=http://127.0.0.1:9000&region=eu-west-1"));
        Assert.Equal("s3://my-bucket/tenants/a?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1", store.Uri);

        using var again = Assert.IsType<S3ObjectStore>(ObjectStores.FromUri(store.Uri));
        Assert.Equal(store.Uri, again.Uri);
    }

    [Fact]
    public void S3_uri_without_prefix_or_query_names_the_bucket()
    {
        using var store = Assert.IsType<S3ObjectStore>(ObjectStores.FromUri("s3://my.dotted.bucket?region=us-east-1"));
        Assert.Equal("s3://my.dotted.bucket?region=us-east-1", store.Uri);

        using var trailing = Assert.IsType<S3ObjectStore>(ObjectStores.FromUri("s3://b/p/q/?region=us-east-1"));
        Assert.Equal("s3://b/p/q?region=us-east-1", trailing.Uri);
    }

    [Fact]
    public void S3_uri_without_endpoint_or_region_needs_a_region_from_the_environment()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var regionConfigured = Environment.GetEnvironmentVariable("AWS_REGION") is not null
            || Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") is not null
            || File.Exists(Path.Combine(home, ".aws", "config"));
        if (regionConfigured)
        {
            using var store = Assert.IsType<S3ObjectStore>(ObjectStores.FromUri("s3://bucket/db"));
            Assert.Equal("s3://bucket/db", store.Uri);
        }
        else
        {
            var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri("s3://bucket/db"));
            Assert.Contains("region=", error.Message, StringComparison.Ordinal);
            Assert.Contains("AWS_REGION", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("s3://bucket/db?access_key=AKIAEXAMPLE&secret_key=hunter2", "access_key")]
    [InlineData("s3://bucket/db?aws_secret_access_key=hunter2", "aws_secret_access_key")]
    [InlineData("s3://bucket/db?SESSION_TOKEN=hunter2", "SESSION_TOKEN")]
    public void S3_uri_with_credential_parameters_is_rejected_and_says_where_credentials_come_from(string uri, string key)
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri(uri));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3_uri_with_user_info_is_rejected_without_repeating_it()
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri("s3://AKIAEXAMPLE:hunter2@bucket/db"));
        Assert.Contains("user info", error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3:///db?region=us-east-1", "must name a bucket")]
    [InlineData("s3://bucket/db?endpoint=ftp://host", "not an absolute http or https URL")]
    [InlineData("s3://bucket/db?endpoint=localhost:9000", "not an absolute http or https URL")]
    [InlineData("s3://bucket/db?endpoint=http://u:p@host", "must not carry credentials")]
    [InlineData("s3://bucket/db?regoin=us-east-1", "unknown query parameter 'regoin'")]
    [InlineData("s3://bucket/db?region=a&region=b", "more than once")]
    [InlineData("s3://bucket/db#frag", "fragment")]
    [InlineData("s3://bucket/a//b?region=us-east-1", "empty segments")]
    [InlineData("s3://bucket/a/../b?region=us-east-1", "'..'")]
    public void Malformed_s3_uris_are_rejected_with_the_problem(string uri, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri(uri));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Az_uri_takes_the_account_from_the_connection_string_and_the_endpoint_from_the_uri()
    {
        var connectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";
        Func<string, string?> environment = name => name == "AZURE_STORAGE_CONNECTION_STRING" ? connectionString : null;

        var store = Assert.IsType<AzureBlobObjectStore>(ObjectStores.FromUri("az://container/db/x", environment));
        Assert.Equal("az://container/db/x?endpoint=http%3A%2F%2F127.0.0.1%3A10000%2Fdevstoreaccount1", store.Uri);

        var moved = ObjectStores.FromUri("az://container/db?endpoint=http://127.0.0.1:20000/devstoreaccount1", environment);
        Assert.Equal("az://container/db?endpoint=http%3A%2F%2F127.0.0.1%3A20000%2Fdevstoreaccount1", moved.Uri);
    }

    [Fact]
    public void Az_uri_takes_the_account_and_key_variables_when_there_is_no_connection_string()
    {
        Func<string, string?> environment = name => name switch
        {
            "AZURE_STORAGE_ACCOUNT" => "myaccount",
            "AZURE_STORAGE_KEY" => AzuriteKey,
            _ => null,
        };

        var store = ObjectStores.FromUri("az://container", environment);
        Assert.Equal("az://container?endpoint=https%3A%2F%2Fmyaccount.blob.core.windows.net", store.Uri);
    }

    [Fact]
    public void Az_uri_without_an_account_says_which_variables_to_set()
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri("az://container/db", NoEnvironment));
        Assert.Contains("AZURE_STORAGE_CONNECTION_STRING", error.Message, StringComparison.Ordinal);
        Assert.Contains("AZURE_STORAGE_ACCOUNT", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("az://container/db?sig=abc123secret")]
    [InlineData("az://container/db?AccountKey=abc123secret")]
    [InlineData("az://devstoreaccount1:abc123secret@container/db")]
    public void Az_uri_with_credentials_is_rejected(string uri)
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri(uri, NoEnvironment));
        Assert.Contains("AZURE_STORAGE_CONNECTION_STRING", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("abc123secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gs://bucket/db", "unknown scheme 'gs'")]
    [InlineData("/var/data", "expected scheme://")]
    [InlineData("", "expected scheme://")]
    [InlineData("s3:bucket", "expected scheme://")]
    [InlineData("memory://x?y=1", "no query parameters")]
    [InlineData("az:///db", "must name a container")]
    public void Unknown_or_malformed_uris_list_the_supported_forms(string uri, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri(uri, NoEnvironment));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{uri}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("memory://", error.Message, StringComparison.Ordinal);
        Assert.Contains("file:///", error.Message, StringComparison.Ordinal);
        Assert.Contains("s3://bucket", error.Message, StringComparison.Ordinal);
        Assert.Contains("az://container", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_uri_throws_ArgumentNullException() => Assert.Throws<ArgumentNullException>(() => ObjectStores.FromUri(null!));

    [Fact]
    public void Percent_escapes_in_the_prefix_are_decoded()
    {
        using var store = Assert.IsType<S3ObjectStore>(ObjectStores.FromUri("s3://bucket/caf%C3%A9/db?region=us-east-1"));
        Assert.Equal("s3://bucket/caf%C3%A9/db?region=us-east-1", store.Uri);
        using var again = Assert.IsType<S3ObjectStore>(ObjectStores.FromUri(store.Uri));
        Assert.Equal(store.Uri, again.Uri);
    }
}
