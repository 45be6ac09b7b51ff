// A plain text table for the Linux-only `fltmc stats`: columns as wide as their widest cell, two spaces apart,
// a dash rule under the header, numbers right-aligned. (The Windows verbs use their fixed layouts instead.)
using System.Text;

namespace Altitude.Fltmc.Layouts;

internal sealed class TextTable
{
    private readonly string[] headers;
    private readonly bool[] rightAligned;
    private readonly List<string[]> rows = new();

    /// <summary>A header ending in '>' is a right-aligned (numeric) column; the '>' is not printed.</summary>
    public TextTable(params string[] headers)
    {
        this.headers = new string[headers.Length];
        rightAligned = new bool[headers.Length];
        for (int i = 0; i < headers.Length; i++)
        {
            rightAligned[i] = headers[i].EndsWith('>');
            this.headers[i] = rightAligned[i] ? headers[i][..^1] : headers[i];
        }
    }

    public void Add(params string[] cells) => rows.Add(cells);

    public IEnumerable<string> Lines()
    {
        var widths = new int[headers.Length];
        for (int i = 0; i < headers.Length; i++) widths[i] = headers[i].Length;
        foreach (var r in rows)
            for (int i = 0; i < r.Length; i++) widths[i] = Math.Max(widths[i], r[i].Length);
        yield return Line(headers, widths);
        var rule = new string[headers.Length];
        for (int i = 0; i < rule.Length; i++) rule[i] = new string('-', widths[i]);
        yield return Line(rule, widths);
        foreach (var r in rows) yield return Line(r, widths);
    }

    private string Line(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0) line.Append("  ");
            line.Append(rightAligned[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
        }
        return line.ToString().TrimEnd();
    }
}
