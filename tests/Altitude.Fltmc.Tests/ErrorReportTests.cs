// Errors read as Windows fltmc prints them: `<Verb> failed with error: 0x%08x`, then FormatMessage's text.
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Tests;

public sealed class ErrorReportTests
{
    [Fact]
    public void Access_denied_is_the_two_lines_Windows_prints()
    {
        Assert.Equal(["Filter listing failed with error: 0x80070005", "Access is denied."],
            ErrorReport.Lines(ErrorReport.FilterListing, unchecked((int)0x80070005)));
    }

    [Theory]
    [InlineData(ErrorReport.Load, 0x80070420u, "Load failed with error: 0x80070420", "An instance of the service is already running.")]
    [InlineData(ErrorReport.Unload, 0x801F0010u, "Unload failed with error: 0x801f0010", "Do not detach the filter from the volume at this time.")]
    [InlineData(ErrorReport.Attach, 0x801F0011u, "Attach failed with error: 0x801f0011", "An instance already exists at this altitude on the volume specified.")]
    [InlineData(ErrorReport.Attach, 0x801F0012u, "Attach failed with error: 0x801f0012", "An instance already exists with this name on the volume specified.")]
    [InlineData(ErrorReport.Detach, 0x801F0015u, "Detach failed with error: 0x801f0015", "The system could not find the instance specified.")]
    [InlineData(ErrorReport.InstanceListing, 0x801F0013u, "Instance listing failed with error: 0x801f0013", "The system could not find the filter specified.")]
    [InlineData(ErrorReport.VolumeListing, 0x80070002u, "Volume listing failed with error: 0x80070002", "The system cannot find the file specified.")]
    [InlineData(ErrorReport.Attach, 0x801F0014u, "Attach failed with error: 0x801f0014", "The system could not find the volume specified.")]
    public void Each_verb_prints_its_wording_lowercase_hex_and_the_message(string operation, uint hresult, string first, string second)
    {
        Assert.Equal([first, second], ErrorReport.Lines(operation, unchecked((int)hresult)));
    }

    [Fact]
    public void An_HRESULT_without_a_message_prints_only_the_first_line()
    {
        Assert.Equal(["Load failed with error: 0x8007abcd"], ErrorReport.Lines(ErrorReport.Load, unchecked((int)0x8007ABCD)));
    }
}
