using System.Globalization;
using System.Text;

namespace SlateDb.ObjectStore;

/// <summary>
/// The parts of a store URI (<c>scheme://authority/path?query</c>) as <see cref="ObjectStores.FromUri(string)"/> reads
/// them, with percent-escapes decoded. Parsed by hand because <see cref="System.Uri"/> rejects or rewrites several
/// valid store URIs (<c>memory://</c>, bucket names with dots, empty hosts).
/// </summary>
internal sealed class StoreUri
{
    private static readonly string[] CredentialKeys =
    [
        "access_key", "access_key_id", "accesskey", "accesskeyid", "aws_access_key_id", "secret", "secret_key",
        "secretkey", "secret_access_key", "aws_secret_access_key", "session_token", "sessiontoken", "token",
        "password", "key", "account_key", "accountkey", "sas", "sig", "signature", "credential", "credentials",
        "connection_string", "connectionstring",
    ];

    /// <summary>The characters <see cref="EscapeLocalPath"/> leaves unescaped besides the unreserved ones.</summary>
    private const string LiteralPathChars = "!$&'()*+,;=:@[]";

    private readonly string _original;
    private readonly string _supportedForms;

    private StoreUri(string original, string supportedForms)
    {
        _original = original;
        _supportedForms = supportedForms;
    }

    public string Scheme { get; private set; } = "";

    public string UserInfo { get; private set; } = "";

    public string Authority { get; private set; } = "";

    /// <summary>The path, starting with '/' when present; decoded.</summary>
    public string Path { get; private set; } = "";

    public Dictionary<string, string> Query { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static StoreUri Parse(string uri, string supportedForms)
    {
        var result = new StoreUri(uri, supportedForms);
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw result.Error("expected scheme://...");
        }

        result.Scheme = uri[..schemeEnd].ToLowerInvariant();
        var rest = uri[(schemeEnd + 3)..];
        if (rest.Contains('#', StringComparison.Ordinal))
        {
            throw result.Error("a store URI must not have a fragment ('#')");
        }

        var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        if (queryStart >= 0)
        {
            result.ParseQuery(rest[(queryStart + 1)..]);
            rest = rest[..queryStart];
        }

        var pathStart = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = pathStart < 0 ? rest : rest[..pathStart];
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            result.UserInfo = authority[..at];
            authority = authority[(at + 1)..];
        }

        result.Authority = result.Decode(authority);
        result.Path = pathStart < 0 ? "" : result.Decode(rest[pathStart..]);
        return result;
    }

    /// <summary>
    /// Percent-escapes each segment of <paramref name="path"/>, keeping the '/' separators, so the path survives
    /// <see cref="Parse"/> exactly: every character but the unreserved ones (letters, digits, <c>-._~</c>) is
    /// escaped, '%' included, so no segment can decode to another name, a '.' or '..' step, or a query.
    /// </summary>
    public static string EscapePath(string path) => string.Join('/', path.Split('/').Select(System.Uri.EscapeDataString));

    /// <summary>
    /// Like <see cref="EscapePath"/>, but keeps the characters a path segment may hold literally (RFC 3986 sub-delims,
    /// ':', '@') and '[' ']', as <see cref="System.Uri.AbsoluteUri"/> writes file URIs: <c>file://</c> URIs recorded by
    /// earlier versions keep their spelling unless they were wrong (a '%' in a name).
    /// </summary>
    public static string EscapeLocalPath(string path)
    {
        var escaped = EscapePath(path);
        var result = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '%'
                && i + 2 < escaped.Length
                && byte.TryParse(escaped.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
                && LiteralPathChars.Contains((char)value, StringComparison.Ordinal))
            {
                result.Append((char)value);
                i += 2;
            }
            else
            {
                result.Append(escaped[i]);
            }
        }

        return result.ToString();
    }

    /// <summary>Percent-escapes <paramref name="name"/> (a bucket or container) for the authority, so it survives <see cref="Parse"/> exactly.</summary>
    public static string EscapeAuthority(string name) => System.Uri.EscapeDataString(name);

    /// <summary>
    /// Inserts <c>/<paramref name="prefix"/></c> (escaped per segment) at the end of <paramref name="uri"/>'s path,
    /// before its query: the URI of the folder <paramref name="prefix"/> inside the store <paramref name="uri"/> names.
    /// </summary>
    public static string AppendPath(string uri, string prefix)
    {
        var queryStart = uri.IndexOf('?', StringComparison.Ordinal);
        var (head, query) = queryStart < 0 ? (uri, "") : (uri[..queryStart], uri[queryStart..]);
        var separator = head.EndsWith('/') ? "" : "/";
        return head + separator + EscapePath(prefix) + query;
    }

    public ArgumentException Error(string problem) => new($"Invalid object store URI '{Redacted()}': {problem}. {_supportedForms}.");

    public void RejectQuery()
    {
        if (Query.Count > 0)
        {
            throw Error($"a {Scheme} URI takes no query parameters");
        }
    }

    public void RejectUserInfo(string credentialsHelp)
    {
        if (UserInfo.Length > 0)
        {
            throw Error($"credentials in the URI (user info before '@') are not accepted. {credentialsHelp}");
        }
    }

    public void RejectCredentialKeys(string credentialsHelp)
    {
        foreach (var key in Query.Keys)
        {
            if (Array.Exists(CredentialKeys, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)))
            {
                throw Error($"query parameter '{key}' looks like a credential, which a URI must not carry. {credentialsHelp}");
            }
        }
    }

    public void RejectUnknownKeys(params string[] allowed)
    {
        foreach (var key in Query.Keys)
        {
            if (!Array.Exists(allowed, a => string.Equals(a, key, StringComparison.OrdinalIgnoreCase)))
            {
                throw Error($"unknown query parameter '{key}' (a {Scheme} URI accepts: {string.Join(", ", allowed)})");
            }
        }
    }

    private void ParseQuery(string query)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            if (!Query.TryAdd(key, value))
            {
                throw Error($"query parameter '{key}' appears more than once");
            }
        }
    }

    private string Decode(string value)
    {
        try
        {
            return System.Uri.UnescapeDataString(value);
        }
        catch (UriFormatException e)
        {
            throw new ArgumentException($"Invalid object store URI '{Redacted()}': bad percent-escape ({e.Message}). {_supportedForms}.", e);
        }
    }

    /// <summary>The URI with user info and the query's values hidden, so messages never repeat a secret.</summary>
    private string Redacted()
    {
        var text = _original;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var slash = schemeEnd < 0 ? -1 : text.IndexOf('/', schemeEnd + 3);
        if (schemeEnd >= 0 && at > schemeEnd && (slash < 0 || at < slash))
        {
            text = text[..(schemeEnd + 3)] + "***@" + text[(at + 1)..];
        }

        var q = text.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return text;
        }

        var pairs = text[(q + 1)..].Split('&').Select(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? p : p[..eq];
            return CredentialKeys.Contains(key.ToLowerInvariant()) ? key + "=***" : p;
        });
        return text[..(q + 1)] + string.Join('&', pairs);
    }
}
