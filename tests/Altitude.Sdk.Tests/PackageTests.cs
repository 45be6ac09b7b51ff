// dotnet pack of the repository: every package has the one version, the licence, a README and its documentation; the
// SDK package holds the engine contract and nothing of the daemon; the assemblies carry their sources.
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;

namespace Altitude.Sdk.Tests;

[Collection("packages")]
public sealed class PackageTests(PackageFixture packages)
{
    private static readonly string[] Libraries = { "Altitude.FilterManager", "Altitude.FileSystem", "Altitude.FilterLib", "Altitude.Testing" };

    private static XElement Metadata(ZipArchive zip, string id)
    {
        using Stream s = zip.GetEntry(id + ".nuspec")!.Open();
        XElement root = XElement.Load(s);
        return root.Elements().First(e => e.Name.LocalName == "metadata");
    }

    private static string? Field(XElement metadata, string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public void EveryPackageCarriesTheVersionTheLicenceAndAReadme()
    {
        Assert.True(packages.PackExit == 0, packages.PackOutput);
        foreach (string id in Libraries.Append("Altitude.Fltmc").Append("Altitude.Templates"))
        {
            string path = packages.Package(id);
            Assert.True(File.Exists(path), $"{path} was not packed: {packages.PackOutput}");
            using ZipArchive zip = ZipFile.OpenRead(path);
            XElement metadata = Metadata(zip, id);
            Assert.Equal(packages.Version, Field(metadata, "version"));
            Assert.Equal("MIT", Field(metadata, "license"));
            Assert.Equal("README.md", Field(metadata, "readme"));
            Assert.NotNull(zip.GetEntry("README.md"));
            Assert.False(string.IsNullOrWhiteSpace(Field(metadata, "description")), id);
        }
    }

    [Fact]
    public void TheLibrariesCarryXmlDocumentationAndTheirSourcesInTheEmbeddedPdb()
    {
        foreach (string id in Libraries)
        {
            using ZipArchive zip = ZipFile.OpenRead(packages.Package(id));
            Assert.NotNull(zip.GetEntry($"lib/net10.0/{id}.xml"));
            using var dll = new MemoryStream();
            using (Stream s = zip.GetEntry($"lib/net10.0/{id}.dll")!.Open()) s.CopyTo(dll);
            dll.Position = 0;
            using var pe = new PEReader(dll);
            DebugDirectoryEntry embedded = pe.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
            using MetadataReaderProvider pdb = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded);
            MetadataReader reader = pdb.GetMetadataReader();
            var embeddedSource = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");   // the EmbeddedSource custom debug information kind
            int sources = reader.CustomDebugInformation.Count(h => reader.GetGuid(reader.GetCustomDebugInformation(h).Kind) == embeddedSource);
            Assert.True(sources > 0 && sources == reader.Documents.Count, $"{id}: {sources} embedded sources for {reader.Documents.Count} documents");
        }
    }

    [Fact]
    public void TheSdkPackageIsTheEngineContractAndNothingOfTheDaemon()
    {
        using ZipArchive zip = ZipFile.OpenRead(packages.Package("Altitude.FilterManager"));
        string[] assemblies = zip.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal)).Select(e => e.FullName).ToArray();
        Assert.Equal(new[] { "lib/net10.0/Altitude.FilterManager.dll" }, assemblies);
        string[] dependencies = Metadata(zip, "Altitude.FilterManager").Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToArray();
        Assert.DoesNotContain(dependencies, d => d.StartsWith("Altitude.", StringComparison.Ordinal));
    }

    [Fact]
    public void FltmcIsADotnetToolAndTheTemplatesATemplatePackage()
    {
        using (ZipArchive tool = ZipFile.OpenRead(packages.Package("Altitude.Fltmc")))
        {
            Assert.Contains(tool.Entries, e => e.FullName == "tools/net10.0/any/fltmc.dll");
            Assert.Contains(Metadata(tool, "Altitude.Fltmc").Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");
        }
        using ZipArchive templates = ZipFile.OpenRead(packages.Package("Altitude.Templates"));
        Assert.Contains(templates.Entries, e => e.FullName.EndsWith("altitude-minifilter/.template.config/template.json", StringComparison.Ordinal));
        Assert.Contains(Metadata(templates, "Altitude.Templates").Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "Template");
        // The generated projects ask for the packages of this version.
        using var reader = new StreamReader(templates.Entries.Single(e => e.FullName.EndsWith("MyFilter/MyFilter.csproj", StringComparison.Ordinal)).Open());
        Assert.Contains($"Include=\"Altitude.FilterManager\" Version=\"{packages.Version}\"", reader.ReadToEnd());
    }
}
