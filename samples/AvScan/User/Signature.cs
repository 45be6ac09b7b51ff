// AV_DEFAULT_SEARCH_PATTERN: "message to be found", stored XOR-encoded with AV_DEFAULT_PATTERN_XOR_KEY (90), so that
// this program's own file never carries the signature it looks for.
namespace Altitude.Samples.AvScan.User;

internal static class Signature
{
    private const byte XorKey = 90;
    private static readonly byte[] Encoded = "7?));=?z.5z8?z<5/4>"u8.ToArray();

    public static readonly byte[] Bytes = Decode();

    private static byte[] Decode()
    {
        var b = new byte[Encoded.Length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)(Encoded[i] ^ XorKey);
        return b;
    }
}
