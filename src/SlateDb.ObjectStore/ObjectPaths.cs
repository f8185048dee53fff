namespace SlateDb.ObjectStore;

/// <summary>Validation of object paths and prefixes, shared by every store.</summary>
internal static class ObjectPaths
{
    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="path"/> is a valid object path.</summary>
    public static void ValidatePath(string path, string paramName = "path")
    {
        ArgumentNullException.ThrowIfNull(path, paramName);
        if (path.Length == 0)
        {
            throw new ArgumentException("An object path must not be empty.", paramName);
        }

        if (path[^1] == '/')
        {
            throw new ArgumentException($"An object path must not end with '/': '{path}'.", paramName);
        }

        ValidateSegments(path, paramName);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="prefix"/> is a valid listing prefix (may be empty).</summary>
    public static void ValidatePrefix(string prefix, string paramName = "prefix")
    {
        ArgumentNullException.ThrowIfNull(prefix, paramName);
        if (prefix.Length > 0)
        {
            ValidateSegments(prefix, paramName);
        }
    }

    private static void ValidateSegments(string path, string paramName)
    {
        if (path[0] == '/')
        {
            throw new ArgumentException($"An object path must be relative (no leading '/'): '{path}'.", paramName);
        }

        if (path.Contains('\0', StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"An object path must not contain NUL or '\\': '{path}'.", paramName);
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment is "." or "..")
            {
                throw new ArgumentException($"An object path must not contain '.' or '..' segments: '{path}'.", paramName);
            }
        }

        if (path.Contains("//", StringComparison.Ordinal))
        {
            throw new ArgumentException($"An object path must not contain empty segments ('//'): '{path}'.", paramName);
        }
    }
}
