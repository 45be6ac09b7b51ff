// SDDL parsing and the access check (DESIGN.md, "Ports and security").
namespace Altitude.Ports.Tests;

public class SecurityDescriptorTests
{
    private static readonly PeerCredentials Root = new(1, 0, 0);
    private static readonly PeerCredentials User1000 = new(2, 1000, 1000, new uint[] { 27, 1000 });
    private static readonly PeerCredentials Nobody = new(3, 65534, 65534);

    [Fact]
    public void DefaultDescriptorAdmitsSystemAndAdministratorsOnly()
    {
        var sd = SecurityDescriptor.Parse(FilterManager.BuildDefaultSecurityDescriptor());
        Assert.True(sd.AccessCheck(Root, adminGroup: 27));
        Assert.True(sd.AccessCheck(User1000, adminGroup: 27));     // member of the admin group: BA
        Assert.False(sd.AccessCheck(User1000, adminGroup: null));  // no admin group: only uid 0
        Assert.False(sd.AccessCheck(Nobody, adminGroup: 27));
        Assert.Equal("D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)", FilterManager.BuildDefaultSecurityDescriptor());
    }

    [Theory]
    [InlineData("D:(A;;GA;;;WD)", true, true, true)]
    [InlineData("D:(A;;GA;;;SY)", true, false, false)]
    [InlineData("D:(A;;0x1;;;S-1-22-1-1000)", false, true, false)]
    [InlineData("D:(A;;GA;;;S-1-22-2-27)", false, true, false)]           // supplementary group
    [InlineData("D:(A;;GA;;;S-1-22-2-1000)", false, true, false)]         // primary group
    [InlineData("D:(D;;GA;;;S-1-22-1-1000)(A;;GA;;;WD)", true, false, true)]   // deny first
    [InlineData("D:(A;;GA;;;WD)(D;;GA;;;S-1-22-1-1000)", true, true, true)]    // evaluated in order: the allow decides
    [InlineData("D:(A;;0x10000;;;WD)", false, false, false)]              // DELETE only, no FLT_PORT_CONNECT
    [InlineData("D:(D;;0x10000;;;WD)(A;;GA;;;WD)", true, true, true)]     // a deny of other rights does not matter
    [InlineData("D:", false, false, false)]                               // empty DACL: nobody
    [InlineData("O:SYG:SY", true, true, true)]                            // no DACL (NULL DACL): everyone
    [InlineData("O:BAD:PAI(A;OICI;GRGW;;;S-1-5-32-544)S:(AU;;GA;;;WD)", true, false, false)]
    [InlineData("D:(A;;CC;;;S-1-1-0)", true, true, true)]
    public void AccessCheckFollowsTheDacl(string sddl, bool root, bool user1000, bool nobody)
    {
        var sd = SecurityDescriptor.Parse(sddl);
        Assert.Equal(root, sd.AccessCheck(Root, adminGroup: null));
        Assert.Equal(user1000, sd.AccessCheck(User1000, adminGroup: null));
        Assert.Equal(nobody, sd.AccessCheck(Nobody, adminGroup: null));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("D:(A;;GA;;;XX)")]                 // unknown SID alias
    [InlineData("D:(X;;GA;;;WD)")]                 // unknown ACE type
    [InlineData("D:(A;;ZZ;;;WD)")]                 // unknown right
    [InlineData("D:(A;;GA;;WD)")]                  // five fields
    [InlineData("D:(A;;GA;;;WD")]                  // unterminated
    [InlineData("D:(A;;GA;;;S-1-22-1-x)")]
    [InlineData("D:(A;;GA;;;S-1-5-21-1-2-3-500)")] // a Windows domain SID has no Linux meaning
    [InlineData("D:(A;;GA;;;WD)D:(A;;GA;;;WD)")]
    public void MalformedSddlIsAClearError(string sddl)
    {
        Assert.False(SecurityDescriptor.TryParse(sddl, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        var e = Assert.Throws<FormatException>(() => SecurityDescriptor.Parse(sddl));
        Assert.Contains(sddl, e.Message);
    }
}
