// One string per major function code, made once: statistics keys and metric tags use them without allocating.
namespace Altitude;

internal static class MajorFunctionNames
{
    private static readonly string[] Names = Build();

    public static string Of(byte major) => Names[major];

    private static string[] Build()
    {
        var names = new string[256];
        for (int m = 0; m < 256; m++) names[m] = Enum.GetName((MajorFunction)m) ?? "0x" + m.ToString("X2");
        return names;
    }
}
