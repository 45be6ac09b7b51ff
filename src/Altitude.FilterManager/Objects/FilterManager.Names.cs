// The name cache follows name providers: a provider that attaches or detaches changes what every name above it is.
namespace Altitude;

public sealed partial class FilterManager
{
    partial void OnInstanceAttached(Instance instance)
    {
        if (instance.Filter.Registration.GenerateFileName is not null) instance.Volume.NameCache.Clear();
    }

    partial void OnInstanceDetached(Instance instance)
    {
        if (instance.Filter.Registration.GenerateFileName is not null) instance.Volume.NameCache.Clear();
    }
}
