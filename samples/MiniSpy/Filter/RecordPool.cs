// The records: a pool capped at MaxRecords (the WDK's lookaside list with RecordsAllocated checked against
// MaxRecordsToAllocate), the one static record handed out when the cap is reached, and the queue of completed records
// that GetMiniSpyLog drains. Blocks come back to the pool when the user program has taken them, so the steady state
// allocates nothing; a new block is made only while fewer than MaxRecords exist (nothing ahead, as a lookaside list:
// free blocks are linked through Next, like queued ones).
namespace Altitude.Samples.MiniSpy;

/// <summary>Allocates, queues and frees log records. Thread-safe; every lock is held for a few field updates only.</summary>
internal sealed class RecordPool
{
    private readonly object gate = new();
    private LogRecordBuffer? free;   // the free list
    private int allocated;         // records out of the pool (being filled or queued): RecordsAllocated
    private int staticInUse;       // StaticBufferInUse
    private readonly LogRecordBuffer staticRecord = new(isStatic: true);
    private uint sequenceNumber;   // LogSequenceNumber: the first record is 1
    private LogRecordBuffer? head, tail;

    public RecordPool(int maxRecords) => MaxRecords = Math.Max(0, maxRecords);

    public int MaxRecords { get; }

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
                record = free;
                if (record is not null) free = record.Next;
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
        lock (gate)
        {
            allocated--;
            record.Next = free;
            free = record;
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
        }
        while (list is not null)
        {
            var next = list.Next;
            Free(list);
            list = next;
        }
    }
}
