// What the protocol server calls: one method per opcode it routes (go-fuse's RawFileSystem role). The server
// knows bytes and opcodes; the implementation (the bridge) knows nodes, file objects and filters.
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse;

/// <summary>The negotiated session, given to the file system before INIT is answered.</summary>
public sealed class FuseConnection
{
    public uint KernelMinor { get; internal set; }
    public uint Minor { get; internal set; }
    /// <summary>The capabilities the kernel offered.</summary>
    public ulong Offered { get; internal set; }
    /// <summary>The capabilities in force (offered and wanted).</summary>
    public ulong Flags { get; internal set; }
    public uint MaxWrite { get; internal set; }
    public uint MaxReadahead { get; internal set; }
    public bool Has(ulong flag) => (Flags & flag) != 0;
}

/// <summary>
/// The handlers. Each must reply exactly once through the request's Reply* methods (now, or later from another
/// thread when the operation pends), except FORGET, BATCH_FORGET and INTERRUPT, which never reply. Handlers run on
/// a reader thread and must not block on anything the kernel waits for.
/// </summary>
public interface IRawFileSystem
{
    /// <summary>Chooses the capabilities wanted from <paramref name="offered"/>; called once, on the INIT reader.</summary>
    ulong Init(FuseConnection connection, ulong offered);

    /// <summary>A new request object: set up what the file system keeps with it (<see cref="FuseRequest.State"/>), once.</summary>
    void InitializeRequest(FuseRequest r);

    void Lookup(FuseRequest r);
    void Forget(ulong nodeId, ulong lookups);
    void GetAttr(FuseRequest r);
    void SetAttr(FuseRequest r);
    void ReadLink(FuseRequest r);
    void Symlink(FuseRequest r);
    void Mknod(FuseRequest r);
    void Mkdir(FuseRequest r);
    void Unlink(FuseRequest r);
    void Rmdir(FuseRequest r);
    void Rename(FuseRequest r);
    void Link(FuseRequest r);
    void Open(FuseRequest r);
    void Read(FuseRequest r);
    void Write(FuseRequest r);
    void StatFs(FuseRequest r);
    void Release(FuseRequest r);
    void Fsync(FuseRequest r);
    void SetXattr(FuseRequest r);
    void GetXattr(FuseRequest r);
    void ListXattr(FuseRequest r);
    void RemoveXattr(FuseRequest r);
    void Flush(FuseRequest r);
    void OpenDir(FuseRequest r);
    void ReadDir(FuseRequest r);
    void ReleaseDir(FuseRequest r);
    void FsyncDir(FuseRequest r);
    void GetLk(FuseRequest r);
    void SetLk(FuseRequest r);
    void Create(FuseRequest r);
    void Interrupt(ulong unique);
    void Fallocate(FuseRequest r);
    /// <summary>The connection ended (DESTROY, or ENODEV on the device after unmount).</summary>
    void Destroy();
}
