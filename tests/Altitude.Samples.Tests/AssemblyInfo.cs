// The WDK samples end to end: fltmgrd loads each sample's package and mounts a volume, the user-mode program runs as its
// own process, and real programs (cat, sh, mv, rm) use the mount. One test at a time: each owns a daemon and a mount.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
