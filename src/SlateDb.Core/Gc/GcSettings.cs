namespace SlateDb;

/// <summary>
/// The garbage collector an open database runs on its own schedule (<see cref="Settings.Gc"/>; null disables it).
/// Each run removes expired checkpoints, then deletes the manifests, WAL SSTs and compacted SSTs nothing needs any more.
/// </summary>
public sealed class GcSettings
{
    /// <summary>
    /// How often the collector runs while there is work. Default 10 minutes. While runs delete nothing and the latest
    /// manifest does not change, the delay doubles after each run, up to six hours (or this interval, when longer); the
    /// next change brings it back to this interval.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Nothing younger than this is deleted (see <see cref="GcOptions.MinAge"/>). Default 5 minutes.</summary>
    public TimeSpan MinAge { get; set; } = GcOptions.DefaultMinAge;

    /// <summary>A copy that later changes to this instance do not affect.</summary>
    public GcSettings Clone() => (GcSettings)MemberwiseClone();

    /// <summary>Checks every value; throws on the first one out of range.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the setting and the value.</exception>
    public void Validate()
    {
        if (Interval <= TimeSpan.Zero || Interval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"Settings.Gc.{nameof(Interval)} is {Interval}; it must be greater than zero and at most one day.", nameof(Interval));
        }

        if (MinAge < TimeSpan.Zero || MinAge > TimeSpan.FromDays(365))
        {
            throw new ArgumentException($"Settings.Gc.{nameof(MinAge)} is {MinAge}; it must be between zero and 365 days.", nameof(MinAge));
        }
    }
}
