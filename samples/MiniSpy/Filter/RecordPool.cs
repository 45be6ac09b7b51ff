// The records: a pool capped at MaxRecords (the WDK's lookaside list with RecordsAllocated checked against
// MaxRecordsToAllocate), the one static record handed out when the cap is reached, and the queue of completed records
// that GetMiniSpyLog drains. Blocks come back to the pool when the user program has taken them, so the steady state
// allocates nothing; a new block is made only while fewer than MaxRecords exist.
namespace Altitude.Samples.MiniSpy;

/// <summary>Allocates, queues and frees log records. Thread-safe; every lock is held for a few field updates only.</summary>
internal sealed class RecordPool
{
    private readonly object gate = new();
    private readonly LogRecordBuffer[] free;
    private int freeCount;
    private int allocated;         // records out of the pool (being filled or queued): RecordsAllocated
    private int staticInUse;       // StaticBufferInUse
    private readonly LogRecordBuffer staticRecord = new(isStatic: true);
    private uint sequenceNumber;   // LogSequenceNumber: the first record is 1
    private LogRecordBuffer? head, tail;
    private int queued;

    public RecordPool(int maxRecords)
    {
        MaxRecords = Math.Max(0, maxRecords);
        free = new LogRecordBuffer[MaxRecords];
    }

    public int MaxRecords { get; }

    /// <summary>Records waiting for the user program.</summary>
    public int QueuedCount { get { lock (gate) return queued; } }

    /// <summary>
    /// SpyNewRecord: a record with a new sequence number, or the static record flagged STATIC and
    /// EXCEED_MEMORY_ALLOWANCE when MaxRecords are out, or null when that one is out too (the operation is not logged).
    /// </summary>
    public LogRecordBuffer? NewRecord()
    {
        LogRecordBuffer? record = null;
        uint type = RecordType.Normal;
        lock (gate)
        {
            if (allocated < MaxRecords)
            {
                allocated++;
                record = freeCount > 0 ? free[--freeCount] : null;
            }
            else type = RecordType.FlagExceedMemoryAllowance;
        }
        if (type == RecordType.Normal) record ??= new LogRecordBuffer();   // only while the pool grows to MaxRecords
        else if (Interlocked.Exchange(ref staticInUse, 1) == 0)
        {
            record = staticRecord;
            type |= RecordType.FlagStatic;
        }
        record?.Initialize(Interlocked.Increment(ref sequenceNumber), type);
        return record;
    }

    /// <summary>SpyFreeRecord: back to the pool (the static record becomes available again).</summary>
    public void Free(LogRecordBuffer record)
    {
        if (record.IsStatic)
        {
            Volatile.Write(ref staticInUse, 0);
            return;
        }
        record.Next = null;
        lock (gate)
        {
            allocated--;
            if (freeCount < free.Length) free[freeCount++] = record;
        }
    }

    /// <summary>SpyLog: queues a completed record for GetMiniSpyLog.</summary>
    public void Enqueue(LogRecordBuffer record)
    {
        record.Next = null;
        lock (gate)
        {
            if (tail is null) head = record;
            else tail.Next = record;
            tail = record;
            queued++;
        }
    }

    /// <summary>
    /// SpyGetLog: moves as many whole records as fit into <paramref name="destination"/>, oldest first, and frees them.
    /// STATUS_NO_MORE_ENTRIES when none is queued, STATUS_BUFFER_TOO_SMALL when the oldest does not fit (it stays queued).
    /// </summary>
    public NtStatus Drain(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        LogRecordBuffer? taken = null, takenTail = null;
        NtStatus status;
        lock (gate)
        {
            if (head is null) return NtStatus.NoMoreEntries;
            while (head is not null)
            {
                int length = head.Length;
                if (length > destination.Length - bytesWritten) break;
                head.Bytes.AsSpan(0, length).CopyTo(destination.Slice(bytesWritten));
                bytesWritten += length;
                var next = head.Next;
                head.Next = null;
                if (takenTail is null) taken = head;
                else takenTail.Next = head;
                takenTail = head;
                head = next;
                queued--;
            }
            if (head is null) tail = null;
            status = bytesWritten == 0 ? NtStatus.BufferTooSmall : NtStatus.Success;
        }
        while (taken is not null)
        {
            var next = taken.Next;
            Free(taken);
            taken = next;
        }
        return status;
    }

    /// <summary>SpyEmptyOutputBufferList: drops every queued record (unload).</summary>
    public void Clear()
    {
        LogRecordBuffer? list;
        lock (gate)
        {
            list = head;
            head = tail = null;
            queued = 0;
        }
        while (list is not null)
        {
            var next = list.Next;
            Free(list);
            list = next;
        }
    }
}
