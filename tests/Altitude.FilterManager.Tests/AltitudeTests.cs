// Altitudes are decimal strings compared as arbitrary-precision numbers (spec section 2, "Altitude").
namespace Altitude.Tests;

public sealed class AltitudeTests
{
    [Theory]
    [InlineData("03333", "3333")]
    [InlineData("100.123456", "100.1234560")]
    [InlineData("100", "100.")]
    [InlineData("100", "100.000")]
    [InlineData("0", "000")]
    [InlineData(".5", "0.50")]
    public void EqualAltitudes(string a, string b)
    {
        Assert.Equal(FilterAltitude.Parse(a), FilterAltitude.Parse(b));
        Assert.Equal(FilterAltitude.Parse(a).GetHashCode(), FilterAltitude.Parse(b).GetHashCode());
    }

    [Theory]
    [InlineData("99", "100")]
    [InlineData("385100", "385100.5")]
    [InlineData("100.123456", "100.2")]
    [InlineData("0.9", "1")]
    [InlineData("09", "10")]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567891")]
    public void OrderedAltitudes(string lower, string higher)
    {
        Assert.True(FilterAltitude.Parse(lower) < FilterAltitude.Parse(higher));
        Assert.True(FilterAltitude.Parse(higher) > FilterAltitude.Parse(lower));
        Assert.Equal(-1, FilterAltitude.Parse(lower).CompareTo(FilterAltitude.Parse(higher)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("1.2.3")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData("1e5")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("12a")]
    [InlineData(null)]
    public void InvalidAltitudes(string? text)
    {
        Assert.False(FilterAltitude.TryParse(text, out _));
    }

    [Fact]
    public void TextIsKeptAsWritten() => Assert.Equal("03333", FilterAltitude.Parse("03333").ToString());
}
