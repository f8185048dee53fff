using System.Text;
using Amazon.Runtime;
using SlateDb.Testing;
using Xunit;

namespace SlateDb.ObjectStore.Tests;

/// <summary>
/// A store's <see cref="IObjectStore.Uri"/> names its root exactly: <see cref="ObjectStores.FromUri(string)"/> of it
/// opens the same folder, bucket and prefix, or container and prefix, whatever characters the names hold.
/// </summary>
public sealed class StoreUriRoundTripTests : IDisposable
{
    private const int Trials = 60;
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string ConnectionString =
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    /// <summary>Pieces of names: escapes that decode to other names, URI delimiters, dots, non-ASCII.</summary>
    private static readonly string[] Pieces =
    [
        "a", "Z", "7", "%", "%41", "%2e%2e", "%2E", "%2F", "%25", "%%", "%zz", " ", "#", "?", "&", "=", "+", ";", ",",
        "@", ":", "!", "$", "'", "(", ")", "[", "]", "~", "-", "_", ".", "..", "é", "日本", "😀", "\t",
    ];

    private static readonly Func<string, string?> AzureEnvironment =
        name => name == "AZURE_STORAGE_CONNECTION_STRING" ? ConnectionString : null;

    private readonly TempDirectory _folder = new("uri-roundtrip");

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("wal%41store")]
    [InlineData("%2e%2e")]
    [InlineData("a%2Fb")]
    [InlineData("x y#z?w")]
    [InlineData("100%")]
    public async Task A_file_root_with_escape_like_characters_reopens_as_the_same_folder(string name)
    {
        var root = _folder.Combine("db", name);
        var store = new LocalFileSystemObjectStore(root);

        var reopened = Assert.IsType<LocalFileSystemObjectStore>(ObjectStores.FromUri(store.Uri));

        Assert.Equal(root, reopened.RootPath);
        await store.PutAsync("wal/1", "acknowledged"u8.ToArray(), PutMode.Create);
        Assert.Equal("acknowledged"u8.ToArray(), (await reopened.GetAsync("wal/1")).Bytes.ToArray());
    }

    [Fact]
    public async Task File_store_uris_round_trip_over_odd_names()
    {
        var random = new Random(20240917);
        var spelledAsSystemUri = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var segments = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Segment(random)).ToArray();
            var root = Path.Combine([_folder.FullPath, $"t{trial}", .. segments]);
            var store = new LocalFileSystemObjectStore(root);
            var context = $"trial {trial}, root '{root}', uri '{store.Uri}'";

            if (!root.Contains('%', StringComparison.Ordinal) && new Uri(root).LocalPath == root)
            {
                // Where System.Uri spelled the root right, the spelling is its own, so URIs recorded by earlier
                // versions still match.
                Assert.True(new Uri(root).AbsoluteUri == store.Uri, $"{context}, System.Uri '{new Uri(root).AbsoluteUri}'");
                spelledAsSystemUri++;
            }

            var reopened = Assert.IsType<LocalFileSystemObjectStore>(ObjectStores.FromUri(store.Uri));
            Assert.True(root == reopened.RootPath, context);
            Assert.True(store.Uri == reopened.Uri, context);
            await store.PutAsync("k", Encoding.UTF8.GetBytes(context), PutMode.Create);
            Assert.Equal(Encoding.UTF8.GetBytes(context), (await reopened.GetAsync("k")).Bytes.ToArray());

            // A prefixed view names the folder under the root.
            var prefix = Prefix(random);
            var prefixed = new PrefixedObjectStore(store, prefix);
            var reopenedPrefix = Assert.IsType<LocalFileSystemObjectStore>(ObjectStores.FromUri(prefixed.Uri));
            Assert.True(Path.Combine(root, prefix) == reopenedPrefix.RootPath, $"{context}, prefix '{prefix}', prefixed uri '{prefixed.Uri}'");
            await prefixed.PutAsync("p", "x"u8.ToArray(), PutMode.Create);
            Assert.Equal("x"u8.ToArray(), (await reopenedPrefix.GetAsync("p")).Bytes.ToArray());
        }

        Assert.InRange(spelledAsSystemUri, Trials / 10, Trials);
    }

    [Fact]
    public void S3_store_uris_round_trip_over_odd_bucket_names_and_prefixes()
    {
        var random = new Random(7);
        for (var trial = 0; trial < Trials; trial++)
        {
            var bucket = "b" + Segment(random);   // any name but blanks: the store does not judge bucket names
            var prefix = random.Next(4) == 0 ? "" : Prefix(random);
            var options = new S3ObjectStoreOptions
            {
                Bucket = bucket,
                Prefix = prefix,
                Region = "eu-west-1",
                Endpoint = new Uri("http://127.0.0.1:9000"),
                Credentials = new BasicAWSCredentials("dummy-access", "dummy-secret"),
            };
            using var store = new S3ObjectStore(options);
            AssertRootRoundTrips(store, Prefix(random), ObjectStores.FromUri, s => (Assert.IsType<S3ObjectStore>(s).Bucket, ((S3ObjectStore)s).KeyPrefix), $"trial {trial}");
        }
    }

    [Fact]
    public void Azure_store_uris_round_trip_over_odd_prefixes()
    {
        var random = new Random(11);
        for (var trial = 0; trial < Trials; trial++)
        {
            // The Azure SDK keeps a container's name as it appears in its URL, so only valid names (lowercase
            // letters, digits, '-') are names; the odd characters go into the prefix.
            var container = $"c{trial}-" + new string(Enumerable.Range(0, random.Next(1, 6)).Select(_ => "ab9-"[random.Next(4)]).ToArray());
            var prefix = random.Next(4) == 0 ? "" : Prefix(random);
            var store = new AzureBlobObjectStore(new AzureBlobObjectStoreOptions { ConnectionString = ConnectionString, Container = container, Prefix = prefix });
            AssertRootRoundTrips(
                store,
                Prefix(random),
                uri => ObjectStores.FromUri(uri, AzureEnvironment),
                s => (Assert.IsType<AzureBlobObjectStore>(s).ContainerName, ((AzureBlobObjectStore)s).KeyPrefix),
                $"trial {trial}");
        }
    }

    [Fact]
    public void Memory_store_uris_name_the_same_store_name_again()
    {
        var random = new Random(3);
        for (var trial = 0; trial < Trials; trial++)
        {
            var name = Prefix(random);
            var store = ObjectStores.FromUri("memory://" + string.Join('/', name.Split('/').Select(Uri.EscapeDataString)));
            var context = $"trial {trial}, name '{name}', uri '{store.Uri}'";

            Assert.True(store.Uri == ObjectStores.FromUri(store.Uri).Uri, context);
            var prefixed = new PrefixedObjectStore(store, "tenants/a b");
            Assert.True(prefixed.Uri == ObjectStores.FromUri(prefixed.Uri).Uri, $"{context}, prefixed uri '{prefixed.Uri}'");
        }
    }

    [Fact]
    public void A_prefix_goes_into_the_path_of_an_inner_uri_with_a_query()
    {
        using var store = new S3ObjectStore(new S3ObjectStoreOptions
        {
            Bucket = "b",
            Prefix = "db",
            Region = "eu-west-1",
            Credentials = new BasicAWSCredentials("dummy-access", "dummy-secret"),
        });

        Assert.Equal("s3://b/db/tenants/a%3Fb?region=eu-west-1", new PrefixedObjectStore(store, "tenants/a?b").Uri);
    }

    /// <summary>
    /// Checks that <paramref name="store"/>'s URI, and that of a view of it under <paramref name="prefix"/>, reopen
    /// the same root: <paramref name="rootOf"/> gives a store's bucket or container and its key prefix.
    /// </summary>
    private static void AssertRootRoundTrips(
        IObjectStore store, string prefix, Func<string, IObjectStore> fromUri, Func<IObjectStore, (string Name, string KeyPrefix)> rootOf, string trial)
    {
        var (name, keyPrefix) = rootOf(store);
        var context = $"{trial}, name '{name}', key prefix '{keyPrefix}', uri '{store.Uri}'";
        var reopened = fromUri(store.Uri);
        using (reopened as IDisposable)
        {
            Assert.True((name, keyPrefix) == rootOf(reopened), context);
            Assert.True(store.Uri == reopened.Uri, context);
        }

        var prefixed = new PrefixedObjectStore(store, prefix);
        var reopenedPrefix = fromUri(prefixed.Uri);
        using (reopenedPrefix as IDisposable)
        {
            Assert.True((name, keyPrefix + prefix + "/") == rootOf(reopenedPrefix), $"{context}, prefix '{prefix}', prefixed uri '{prefixed.Uri}'");
        }
    }

    /// <summary>A path segment of 1–4 pieces that is not '.' or '..' (those are steps, not names).</summary>
    private static string Segment(Random random)
    {
        while (true)
        {
            var segment = string.Concat(Enumerable.Range(0, random.Next(1, 5)).Select(_ => Pieces[random.Next(Pieces.Length)]));
            if (segment is not ("." or ".."))
            {
                return segment;
            }
        }
    }

    private static string Prefix(Random random) => string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Segment(random)));
}
