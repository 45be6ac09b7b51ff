// What a volume's teardown had to clean up after its FUSE connection ended.
namespace Altitude.Fuse;

/// <summary>
/// Opens the kernel never released (closed at teardown), nodes freed when the kernel's lookups were dropped, live nodes
/// left afterwards (1: the root, unless an operation was still running) and forgets that asked for more than a node had.
/// </summary>
public readonly record struct UnmountReport(int HandlesClosed, int NodesFreed, int NodesLeft, long LookupUnderflows);
