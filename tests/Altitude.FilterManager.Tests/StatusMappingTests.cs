// Spec section 0: NTSTATUS values, their user-mode HRESULTs, and Altitude's errno mapping.
namespace Altitude.Tests;

public sealed class StatusMappingTests
{
    // The values the port protocol and FilterLib callers rely on (docs/port-protocol.md, section 3).
    [Theory]
    [InlineData(NtStatus.InvalidDeviceRequest, unchecked((int)0x80070001))]   // ERROR_INVALID_FUNCTION, not 0x8007013D
    [InlineData(NtStatus.AccessDenied, unchecked((int)0x80070005))]
    [InlineData(NtStatus.ObjectNameNotFound, unchecked((int)0x80070002))]
    [InlineData(NtStatus.PortDisconnected, unchecked((int)0x80070006))]
    [InlineData(NtStatus.ConnectionCountLimit, unchecked((int)0x800704D6))]
    [InlineData(NtStatus.InsufficientResources, unchecked((int)0x800705AA))]
    [InlineData(NtStatus.BufferTooSmall, unchecked((int)0x8007007A))]
    [InlineData(NtStatus.Cancelled, unchecked((int)0x800703E3))]
    [InlineData(NtStatus.InvalidParameter, unchecked((int)0x80070057))]
    [InlineData(NtStatus.BufferOverflow, unchecked((int)0x800700EA))]
    [InlineData(NtStatus.FltNoWaiterForReply, unchecked((int)0x801F0020))]
    [InlineData(NtStatus.Timeout, 0)]
    [InlineData(NtStatus.Success, 0)]
    [InlineData(NtStatus.Pending, unchecked((int)0x800703E5))]
    public void HResultsTheProtocolNames(NtStatus status, int hresult) => Assert.Equal(hresult, StatusMapping.ToHResult(status));

    // Every status the engine defines, written out independently of StatusMapping.DosErrors so an edit of
    // that table shows up here. Source: Windows' RtlNtStatusToDosError as recorded in Wine's
    // dlls/ntdll/error.h; NT_SUCCESS codes give S_OK, STATUS_PENDING gives ERROR_IO_PENDING.
    public static TheoryData<NtStatus, int> EveryStatus => new()
    {
        { NtStatus.Success, 0 },
        { NtStatus.Timeout, 0 },
        { NtStatus.Pending, unchecked((int)0x800703E5) },
        { NtStatus.Reparse, 0 },
        { NtStatus.FltIoComplete, 0 },
        { NtStatus.DatatypeMisalignment, unchecked((int)0x800703E6) },
        { NtStatus.BufferOverflow, unchecked((int)0x800700EA) },
        { NtStatus.NoMoreFiles, unchecked((int)0x80070012) },
        { NtStatus.NoMoreEas, unchecked((int)0x80070103) },
        { NtStatus.InvalidEaName, unchecked((int)0x800700FE) },
        { NtStatus.EaListInconsistent, unchecked((int)0x800700FF) },
        { NtStatus.NoMoreEntries, unchecked((int)0x80070103) },
        { NtStatus.StoppedOnSymlink, unchecked((int)0x800702A9) },
        { NtStatus.Unsuccessful, unchecked((int)0x8007001F) },
        { NtStatus.NotImplemented, unchecked((int)0x80070001) },
        { NtStatus.InvalidInfoClass, unchecked((int)0x80070057) },
        { NtStatus.InvalidHandle, unchecked((int)0x80070006) },
        { NtStatus.InvalidParameter, unchecked((int)0x80070057) },
        { NtStatus.NoSuchDevice, unchecked((int)0x800701B1) },
        { NtStatus.NoSuchFile, unchecked((int)0x80070002) },
        { NtStatus.InvalidDeviceRequest, unchecked((int)0x80070001) },
        { NtStatus.EndOfFile, unchecked((int)0x80070026) },
        { NtStatus.NoMemory, unchecked((int)0x80070008) },
        { NtStatus.AccessDenied, unchecked((int)0x80070005) },
        { NtStatus.BufferTooSmall, unchecked((int)0x8007007A) },
        { NtStatus.ObjectNameInvalid, unchecked((int)0x8007007B) },
        { NtStatus.ObjectNameNotFound, unchecked((int)0x80070002) },
        { NtStatus.ObjectNameCollision, unchecked((int)0x800700B7) },
        { NtStatus.PortDisconnected, unchecked((int)0x80070006) },
        { NtStatus.ObjectPathNotFound, unchecked((int)0x80070003) },
        { NtStatus.SharingViolation, unchecked((int)0x80070020) },
        { NtStatus.ThreadIsTerminating, unchecked((int)0x80070005) },
        { NtStatus.EaTooLarge, unchecked((int)0x800700FF) },
        { NtStatus.NonexistentEaEntry, unchecked((int)0x80070570) },
        { NtStatus.NoEasOnFile, unchecked((int)0x80070570) },
        { NtStatus.FileLockConflict, unchecked((int)0x80070021) },
        { NtStatus.LockNotGranted, unchecked((int)0x80070021) },
        { NtStatus.DeletePending, unchecked((int)0x80070005) },
        { NtStatus.InvalidOwner, unchecked((int)0x8007051B) },
        { NtStatus.InvalidPrimaryGroup, unchecked((int)0x8007051C) },
        { NtStatus.PrivilegeNotHeld, unchecked((int)0x80070522) },
        { NtStatus.InvalidAcl, unchecked((int)0x80070538) },
        { NtStatus.InvalidSecurityDescriptor, unchecked((int)0x8007053A) },
        { NtStatus.InvalidImageFormat, unchecked((int)0x800700C1) },
        { NtStatus.DiskFull, unchecked((int)0x80070070) },
        { NtStatus.FileInvalid, unchecked((int)0x800703EE) },
        { NtStatus.InsufficientResources, unchecked((int)0x800705AA) },
        { NtStatus.MediaWriteProtected, unchecked((int)0x80070013) },
        { NtStatus.IoTimeout, unchecked((int)0x80070079) },
        { NtStatus.FileIsADirectory, unchecked((int)0x80070005) },
        { NtStatus.NotSupported, unchecked((int)0x80070032) },
        { NtStatus.NotSameDevice, unchecked((int)0x80070011) },
        { NtStatus.InvalidParameter3, unchecked((int)0x80070057) },
        { NtStatus.DirectoryNotEmpty, unchecked((int)0x80070091) },
        { NtStatus.NotADirectory, unchecked((int)0x8007010B) },
        { NtStatus.NameTooLong, unchecked((int)0x800700CE) },
        { NtStatus.ImageAlreadyLoaded, unchecked((int)0x80070420) },
        { NtStatus.Cancelled, unchecked((int)0x800703E3) },
        { NtStatus.FileDeleted, unchecked((int)0x80070005) },
        { NtStatus.FileClosed, unchecked((int)0x80070006) },
        { NtStatus.UnhandledException, unchecked((int)0x8007023E) },
        { NtStatus.InvalidDeviceState, unchecked((int)0x80070016) },
        { NtStatus.InvalidBufferSize, unchecked((int)0x800706F8) },
        { NtStatus.NotFound, unchecked((int)0x80070490) },
        { NtStatus.RequestAborted, unchecked((int)0x800704D3) },
        { NtStatus.ConnectionCountLimit, unchecked((int)0x800704D6) },
        { NtStatus.TooManyLinks, unchecked((int)0x80070476) },
        { NtStatus.MountPointNotResolved, unchecked((int)0x80070289) },
        { NtStatus.FileTooLarge, unchecked((int)0x800700DF) },
        { NtStatus.VirusInfected, unchecked((int)0x800700E1) },
        { NtStatus.FltNoHandlerDefined, unchecked((int)0x801F0001) },
        { NtStatus.FltContextAlreadyDefined, unchecked((int)0x801F0002) },
        { NtStatus.FltInvalidAsynchronousRequest, unchecked((int)0x801F0003) },
        { NtStatus.FltDisallowFastIo, unchecked((int)0x801F0004) },
        { NtStatus.FltInvalidNameRequest, unchecked((int)0x801F0005) },
        { NtStatus.FltNotSafeToPostOperation, unchecked((int)0x801F0006) },
        { NtStatus.FltNotInitialized, unchecked((int)0x801F0007) },
        { NtStatus.FltFilterNotReady, unchecked((int)0x801F0008) },
        { NtStatus.FltPostOperationCleanup, unchecked((int)0x801F0009) },
        { NtStatus.FltInternalError, unchecked((int)0x801F000A) },
        { NtStatus.FltDeletingObject, unchecked((int)0x801F000B) },
        { NtStatus.FltMustBeNonpagedPool, unchecked((int)0x801F000C) },
        { NtStatus.FltDuplicateEntry, unchecked((int)0x801F000D) },
        { NtStatus.FltCbdqDisabled, unchecked((int)0x801F000E) },
        { NtStatus.FltDoNotAttach, unchecked((int)0x801F000F) },
        { NtStatus.FltDoNotDetach, unchecked((int)0x801F0010) },
        { NtStatus.FltInstanceAltitudeCollision, unchecked((int)0x801F0011) },
        { NtStatus.FltInstanceNameCollision, unchecked((int)0x801F0012) },
        { NtStatus.FltFilterNotFound, unchecked((int)0x801F0013) },
        { NtStatus.FltVolumeNotFound, unchecked((int)0x801F0014) },
        { NtStatus.FltInstanceNotFound, unchecked((int)0x801F0015) },
        { NtStatus.FltContextAllocationNotFound, unchecked((int)0x801F0016) },
        { NtStatus.FltInvalidContextRegistration, unchecked((int)0x801F0017) },
        { NtStatus.FltNameCacheMiss, unchecked((int)0x801F0018) },
        { NtStatus.FltNoDeviceObject, unchecked((int)0x801F0019) },
        { NtStatus.FltVolumeAlreadyMounted, unchecked((int)0x801F001A) },
        { NtStatus.FltAlreadyEnlisted, unchecked((int)0x801F001B) },
        { NtStatus.FltContextAlreadyLinked, unchecked((int)0x801F001C) },
        { NtStatus.FltNoWaiterForReply, unchecked((int)0x801F0020) },
        { NtStatus.FltRegistrationBusy, unchecked((int)0x801F0023) },
    };

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void EveryStatusHasWindowsHResult(NtStatus status, int hresult) => Assert.Equal(hresult, StatusMapping.ToHResult(status));

    [Fact]
    public void TheListsCoverEveryDefinedStatusOnce()
    {
        var defined = Enum.GetValues<NtStatus>().ToHashSet();
        var tested = EveryStatus.Select(row => (NtStatus)row[0]!).ToList();
        Assert.Equal(tested.Count, tested.Distinct().Count());
        Assert.True(defined.SetEquals(tested), "missing from the test: " + string.Join(", ", defined.Except(tested)));
        var table = StatusMapping.DosErrors.Select(r => r.Status).ToList();
        Assert.Equal(table.Count, table.Distinct().Count());
        Assert.True(defined.SetEquals(table), "missing from StatusMapping.DosErrors: " + string.Join(", ", defined.Except(table)));
    }

    [Fact]
    public void TableRowsAreInStatusOrderAndNamed()
    {
        var rows = StatusMapping.DosErrors;
        for (int i = 1; i < rows.Count; i++) Assert.True((uint)rows[i - 1].Status < (uint)rows[i].Status, $"{rows[i].StatusName} out of order");
        foreach (var r in rows)
        {
            Assert.StartsWith("STATUS_", r.StatusName);
            Assert.StartsWith("ERROR_", r.Win32Name);
        }
    }

    [Fact]
    public void TheDocsListEveryRowOfTheTable()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "port-protocol.md"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var doc = File.ReadAllLines(Path.Combine(dir.FullName, "docs", "port-protocol.md")).ToHashSet();
        foreach (var r in StatusMapping.DosErrors)
        {
            uint e = unchecked((uint)r.Win32Error);
            string error = e > 0xFFFF ? $"0x{e:X8}" : $"{e} (0x{e:X})";
            int hr = StatusMapping.ToHResult(r.Status);
            string row = $"| {r.StatusName} | 0x{(uint)r.Status:X8} | {r.Win32Name} {error} | {(hr == 0 ? "0" : $"0x{(uint)hr:X8}")} |";
            Assert.True(doc.Contains(row), "docs/port-protocol.md lacks: " + row);
        }
    }

    [Fact]
    public void UnmappedStatusesGiveMrMidNotFound()
    {
        Assert.Equal(317, StatusMapping.ToDosError(unchecked((NtStatus)0xC0000099)));   // STATUS_ALLOTTED_SPACE_EXCEEDED, not defined here
        Assert.Equal(unchecked((int)0x8007013D), StatusMapping.ToHResult(unchecked((NtStatus)0xC0000099)));
        Assert.Equal(unchecked((int)0x801F0024), StatusMapping.ToHResult(unchecked((NtStatus)0xC01C0024)));   // an undefined FLT code keeps its low bits
        Assert.Equal(unchecked((int)0x80070001), StatusMapping.HResultFromWin32(1));
        Assert.Equal(unchecked((int)0x801F0020), StatusMapping.HResultFromWin32(unchecked((int)0x801F0020)));
        Assert.Equal(0, StatusMapping.HResultFromWin32(0));
    }

    [Fact]
    public void FltErrorsAreNumberedAsTheSpecLists()
    {
        Assert.Equal(0xC01C0001u, unchecked((uint)NtStatus.FltNoHandlerDefined));
        Assert.Equal(0xC01C000Bu, unchecked((uint)NtStatus.FltDeletingObject));
        Assert.Equal(0xC01C000Fu, unchecked((uint)NtStatus.FltDoNotAttach));
        Assert.Equal(0xC01C0015u, unchecked((uint)NtStatus.FltInstanceNotFound));
        Assert.Equal(0xC01C0018u, unchecked((uint)NtStatus.FltNameCacheMiss));
        Assert.Equal(0xC01C001Cu, unchecked((uint)NtStatus.FltContextAlreadyLinked));
        Assert.Equal(0x001C0001u, unchecked((uint)NtStatus.FltIoComplete));
    }

    [Fact]
    public void SeverityHelpers()
    {
        Assert.True(NtStatus.Timeout.IsSuccess());
        Assert.True(NtStatus.BufferOverflow.IsWarning());
        Assert.False(NtStatus.BufferOverflow.IsSuccess());
        Assert.True(NtStatus.AccessDenied.IsError());
        Assert.Equal("0xC0000022 (AccessDenied)", NtStatus.AccessDenied.Describe());
    }

    [Theory]
    [InlineData(Errno.ENOENT)]
    [InlineData(Errno.EACCES)]
    [InlineData(Errno.EEXIST)]
    [InlineData(Errno.ENOTEMPTY)]
    [InlineData(Errno.ENOTDIR)]
    [InlineData(Errno.EISDIR)]
    [InlineData(Errno.EXDEV)]
    [InlineData(Errno.ELOOP)]
    [InlineData(Errno.ENAMETOOLONG)]
    [InlineData(Errno.ENOSPC)]
    [InlineData(Errno.ENODATA)]
    [InlineData(Errno.ERANGE)]
    [InlineData(Errno.EINVAL)]
    [InlineData(Errno.EOPNOTSUPP)]
    [InlineData(Errno.EFBIG)]
    [InlineData(Errno.ENXIO)]
    public void ErrnoRoundTrips(int errno) => Assert.Equal(errno, StatusMapping.ToErrno(StatusMapping.FromErrno(errno)));

    [Fact]
    public void FileTooLargeIsItsOwnStatusNotDiskFull()
    {
        Assert.Equal(NtStatus.FileTooLarge, StatusMapping.FromErrno(Errno.EFBIG));
        Assert.Equal(0xC0000904u, unchecked((uint)NtStatus.FileTooLarge));
        Assert.Equal(Errno.EFBIG, StatusMapping.ToErrno(NtStatus.FileTooLarge));
        Assert.Equal(Errno.ENOSPC, StatusMapping.ToErrno(NtStatus.DiskFull));
        Assert.Equal(unchecked((int)0x800700DF), StatusMapping.ToHResult(NtStatus.FileTooLarge));   // ERROR_FILE_TOO_LARGE
    }

    [Fact]
    public void UnknownErrorsBecomeEio()
    {
        Assert.Equal(Errno.EIO, StatusMapping.ToErrno(NtStatus.FltInternalError));
        Assert.Equal(Errno.EIO, StatusMapping.ToErrno(NtStatus.UnhandledException));
        Assert.Equal(Errno.ETIMEDOUT, StatusMapping.ToErrno(NtStatus.IoTimeout));
        Assert.Equal(0, StatusMapping.ToErrno(NtStatus.Timeout));
    }
}
