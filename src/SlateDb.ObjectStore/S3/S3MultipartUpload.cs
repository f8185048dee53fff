using Amazon.S3;
using Amazon.S3.Model;

namespace SlateDb.ObjectStore;

/// <summary>
/// Uploads one object as an S3 multipart upload whose parts are slices of the caller's memory (no copy of the
/// whole object), a bounded number of parts at a time. Any failure or cancellation aborts the upload so no
/// orphaned parts stay billed.
/// </summary>
internal static class S3MultipartUpload
{
    /// <summary>Uploads <paramref name="data"/> to <paramref name="key"/>; returns the ETag S3 gives the assembled object.</summary>
    public static async Task<string?> UploadAsync(
        IAmazonS3 client,
        string bucket,
        string key,
        ReadOnlyMemory<byte> data,
        long partSize,
        int concurrency,
        string? putId,
        CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key };
        if (putId is not null)
        {
            initiate.Metadata.Add(S3ObjectStore.PutIdMetadataKey, putId);
        }

        var uploadId = (await client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
        try
        {
            var partCount = (int)((data.Length + partSize - 1) / partSize);
            var parts = new PartETag[partCount];
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var gate = new SemaphoreSlim(concurrency);
            var uploads = new Task[partCount];
            for (var i = 0; i < partCount; i++)
            {
                uploads[i] = UploadPartAsync(i);
            }

            await Task.WhenAll(uploads).ConfigureAwait(false);

            var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = [.. parts] };
            var result = await client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
            return result.ETag;

            async Task UploadPartAsync(int index)
            {
                await gate.WaitAsync(failed.Token).ConfigureAwait(false);
                try
                {
                    var offset = index * partSize;
                    var slice = data.Slice((int)offset, (int)Math.Min(partSize, data.Length - offset));
                    using var body = new ReadOnlyMemoryStream(slice);
                    var request = new UploadPartRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        UploadId = uploadId,
                        PartNumber = index + 1,
                        PartSize = slice.Length,
                        InputStream = body,
                    };
                    var response = await client.UploadPartAsync(request, failed.Token).ConfigureAwait(false);
                    parts[index] = new PartETag(index + 1, response.ETag);
                }
                catch
                {
                    await failed.CancelAsync().ConfigureAwait(false);
                    throw;
                }
                finally
                {
                    gate.Release();
                }
            }
        }
        catch
        {
            await AbortQuietlyAsync(client, bucket, key, uploadId).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task AbortQuietlyAsync(IAmazonS3 client, string bucket, string key, string uploadId)
    {
        try
        {
            var abort = new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId };
            await client.AbortMultipartUploadAsync(abort, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The upload's own failure is what the caller must see; a failed abort leaves parts a bucket lifecycle rule removes.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
