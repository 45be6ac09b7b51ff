// Spec section 0: NTSTATUS values, their user-mode HRESULTs, and Altitude's errno mapping.
namespace Altitude.Tests;

public sealed class StatusMappingTests
{
    [Theory]
    [InlineData(NtStatus.Success, 0)]
    [InlineData(NtStatus.Pending, unchecked((int)0x800703E5))]
    [InlineData(NtStatus.Timeout, 0)]
    [InlineData(NtStatus.PortDisconnected, unchecked((int)0x80070006))]
    [InlineData(NtStatus.ObjectNameNotFound, unchecked((int)0x80070002))]
    [InlineData(NtStatus.ObjectNameCollision, unchecked((int)0x800700B7))]
    [InlineData(NtStatus.AccessDenied, unchecked((int)0x80070005))]
    [InlineData(NtStatus.InvalidParameter, unchecked((int)0x80070057))]
    [InlineData(NtStatus.ConnectionCountLimit, unchecked((int)0x800704D6))]
    [InlineData(NtStatus.BufferTooSmall, unchecked((int)0x8007007A))]
    [InlineData(NtStatus.BufferOverflow, unchecked((int)0x800700EA))]
    [InlineData(NtStatus.NoMoreEntries, unchecked((int)0x80070103))]
    [InlineData(NtStatus.Cancelled, unchecked((int)0x800703E3))]
    [InlineData(NtStatus.NotFound, unchecked((int)0x80070490))]
    [InlineData(NtStatus.NotSupported, unchecked((int)0x80070032))]
    [InlineData(NtStatus.FltNoWaiterForReply, unchecked((int)0x801F0020))]
    [InlineData(NtStatus.FltDoNotDetach, unchecked((int)0x801F0010))]
    [InlineData(NtStatus.FltInstanceAltitudeCollision, unchecked((int)0x801F0011))]
    [InlineData(NtStatus.FltInstanceNameCollision, unchecked((int)0x801F0012))]
    [InlineData(NtStatus.FltRegistrationBusy, unchecked((int)0x801F0023))]
    public void HResultsMatchTheSpecTable(NtStatus status, int hresult) => Assert.Equal(hresult, StatusMapping.ToHResult(status));

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
