namespace SlateDb.Reliability.Tests.Concurrency;

/// <summary>Counts completed writes and lets readers wait for a count, so reads spread over the whole run.</summary>
internal sealed class WriteProgress
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _count;

    /// <summary>One more write completed.</summary>
    public void Advance()
    {
        List<TaskCompletionSource> ready = [];
        lock (_gate)
        {
            _count++;
            _waiters.RemoveAll(w =>
            {
                if (w.Count > _count)
                {
                    return false;
                }

                ready.Add(w.Done);
                return true;
            });
        }

        ready.ForEach(done => done.TrySetResult());
    }

    /// <summary>Completes once at least <paramref name="count"/> writes have completed.</summary>
    public Task WhenAtLeast(int count)
    {
        lock (_gate)
        {
            if (_count >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }
}
