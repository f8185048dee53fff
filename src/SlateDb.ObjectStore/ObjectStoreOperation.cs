namespace SlateDb.ObjectStore;

/// <summary>The kinds of <see cref="IObjectStore"/> request, as wrappers count, log and match them.</summary>
public enum ObjectStoreOperation
{
    /// <summary><see cref="IObjectStore.GetAsync"/>.</summary>
    Get,

    /// <summary><see cref="IObjectStore.HeadAsync"/>.</summary>
    Head,

    /// <summary>Either <c>PutAsync</c> overload.</summary>
    Put,

    /// <summary><see cref="IObjectStore.ListAsync"/> (one call, however many pages the store reads).</summary>
    List,

    /// <summary><see cref="IObjectStore.DeleteAsync"/>.</summary>
    Delete,

    /// <summary><see cref="IObjectStore.CopyAsync"/>.</summary>
    Copy,
}
