// One connection to the control endpoint: the caller's uid (SO_PEERCRED at connect) and the enumerations it has
// open. Used only on the connection's lane (one call at a time), so it needs no lock.
namespace Altitude.Daemon.Control;

internal sealed class ControlSession
{
    /// <summary>Open enumerations per connection; one more gets STATUS_INSUFFICIENT_RESOURCES.</summary>
    public const int MaxEnumerations = 64;

    private readonly Dictionary<uint, Enumeration> enumerations = new();
    private uint nextId;

    public ControlSession(uint userId, int processId)
    {
        UserId = userId; ProcessId = processId;
    }

    public uint UserId { get; }
    public int ProcessId { get; }
    /// <summary>uid 0: the SeLoadDriverPrivilege analogue (load, unload, attach, detach, mount, unmount).</summary>
    public bool IsPrivileged => UserId == 0;
    /// <summary>The statistics snapshot being read in pieces (serialized at offset 0).</summary>
    public byte[]? Statistics { get; set; }

    public bool TryOpen(Enumeration enumeration, out uint id)
    {
        id = 0;
        if (enumerations.Count >= MaxEnumerations) return false;
        do id = ++nextId; while (id == 0 || enumerations.ContainsKey(id));
        enumerations.Add(id, enumeration);
        return true;
    }

    public Enumeration? Find(uint id) => enumerations.GetValueOrDefault(id);

    public bool Remove(uint id) => enumerations.Remove(id);

    public void Close()
    {
        enumerations.Clear();
        Statistics = null;
    }

    /// <summary>The snapshot a FindFirst took and how far FindNext got.</summary>
    public sealed class Enumeration(Altitude.FilterLib.Control.FindKind kind, object[] items)
    {
        public Altitude.FilterLib.Control.FindKind Kind { get; } = kind;
        public object[] Items { get; } = items;
        public int Position { get; set; }
    }
}
