// FltGetTopInstance, FltGetBottomInstance, FltGetUpperInstance, FltGetLowerInstance and FltCompareInstanceAltitudes:
// walking a volume's stack by altitude. They read the published instance list, so an instance whose teardown began
// (unpublished at its first step) is never handed out, as FltMgr refuses to reference an instance being deleted.
namespace Altitude;

public sealed partial class Volume
{
    /// <summary>FltGetTopInstance: the attached instance with the highest altitude; STATUS_NO_MORE_ENTRIES when there is none.</summary>
    public NtStatus GetTopInstance(out Instance? instance)
    {
        Instance[] all = CurrentInstances.All;
        instance = all.Length == 0 ? null : all[0];
        return instance is null ? NtStatus.NoMoreEntries : NtStatus.Success;
    }

    /// <summary>FltGetBottomInstance: the attached instance with the lowest altitude; STATUS_NO_MORE_ENTRIES when there is none.</summary>
    public NtStatus GetBottomInstance(out Instance? instance)
    {
        Instance[] all = CurrentInstances.All;
        instance = all.Length == 0 ? null : all[^1];
        return instance is null ? NtStatus.NoMoreEntries : NtStatus.Success;
    }
}

public sealed partial class Instance
{
    /// <summary>
    /// FltGetUpperInstance: the attached instance right above this one on its volume; STATUS_NO_MORE_ENTRIES at the top.
    /// Found by altitude, so it also answers for an instance that is already detaching.
    /// </summary>
    public NtStatus GetUpperInstance(out Instance? upperInstance)
    {
        upperInstance = null;
        Instance[] all = Volume.CurrentInstances.All;
        // Highest first: the upper instance is the last one above this altitude.
        for (int i = 0; i < all.Length && all[i].Altitude > Altitude; i++) upperInstance = all[i];
        return upperInstance is null ? NtStatus.NoMoreEntries : NtStatus.Success;
    }

    /// <summary>FltGetLowerInstance: the attached instance right below this one; STATUS_NO_MORE_ENTRIES at the bottom.</summary>
    public NtStatus GetLowerInstance(out Instance? lowerInstance)
    {
        lowerInstance = null;
        Instance[] all = Volume.CurrentInstances.All;
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i].Altitude < Altitude)
            {
                lowerInstance = all[i];
                break;
            }
        }
        return lowerInstance is null ? NtStatus.NoMoreEntries : NtStatus.Success;
    }

    /// <summary>
    /// FltCompareInstanceAltitudes: positive when <paramref name="instance1"/> is higher than <paramref name="instance2"/>,
    /// negative when lower, 0 for the same altitude (only the same instance, as altitudes are unique per volume).
    /// </summary>
    public static int CompareAltitudes(Instance instance1, Instance instance2)
    {
        ArgumentNullException.ThrowIfNull(instance1);
        ArgumentNullException.ThrowIfNull(instance2);
        return Math.Sign(instance1.Altitude.CompareTo(instance2.Altitude));
    }
}
