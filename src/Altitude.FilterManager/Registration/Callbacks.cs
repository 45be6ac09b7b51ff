// Callback signatures of FLT_REGISTRATION and FLT_OPERATION_REGISTRATION. They run on the thread
// that carries the operation unless a comment says otherwise.
namespace Altitude;

/// <summary>PFLT_PRE_OPERATION_CALLBACK. Set <paramref name="completionContext"/> for the post-op (null with Pending).</summary>
public delegate PreOperationStatus PreOperationCallback(CallbackData data, in RelatedObjects fltObjects, out object? completionContext);

/// <summary>PFLT_POST_OPERATION_CALLBACK. With <see cref="PostOperationFlags.Draining"/> the data is a copy.</summary>
public delegate PostOperationStatus PostOperationCallback(CallbackData data, in RelatedObjects fltObjects, object? completionContext, PostOperationFlags flags);

/// <summary>PFLT_FILTER_UNLOAD_CALLBACK. A failure vetoes a non-mandatory unload.</summary>
public delegate NtStatus FilterUnloadCallback(FilterUnloadFlags flags);

/// <summary>PFLT_INSTANCE_SETUP_CALLBACK. A failure (typically FltDoNotAttach) refuses the attach.</summary>
public delegate NtStatus InstanceSetupCallback(in RelatedObjects fltObjects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystemType);

/// <summary>PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK: manual detach only; a failure (FltDoNotDetach) vetoes it.</summary>
public delegate NtStatus InstanceQueryTeardownCallback(in RelatedObjects fltObjects, InstanceTeardownFlags flags);

/// <summary>PFLT_INSTANCE_TEARDOWN_CALLBACK (start and complete).</summary>
public delegate void InstanceTeardownCallback(in RelatedObjects fltObjects, InstanceTeardownFlags reason);

/// <summary>A routine run by the Filter Manager after a pended pre-op or a parked post-op is completed (for tests and tools).</summary>
public delegate void OperationCompletedCallback(CallbackData data);
