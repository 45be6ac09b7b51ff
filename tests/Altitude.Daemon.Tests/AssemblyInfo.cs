// Every test here starts its own fltmgrd with its own mount: one at a time keeps them from competing for the 2 cores' FUSE readers.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
