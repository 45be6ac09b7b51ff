// A growable FIFO that also removes from the middle: withdrawn messages and cancelled gets leave the
// queue wherever they are. Queues are short (the outstanding gets or blocked senders of one connection).
namespace Altitude.Ports;

internal sealed class RingQueue<T>
{
    private T[] items = new T[16];
    private int head, count;

    public int Count => count;

    public ref T this[int index] => ref items[(head + index) & (items.Length - 1)];

    public void Enqueue(T item)
    {
        if (count == items.Length)
        {
            var bigger = new T[items.Length * 2];
            for (int i = 0; i < count; i++) bigger[i] = this[i];
            items = bigger;
            head = 0;
        }
        items[(head + count) & (items.Length - 1)] = item;
        count++;
    }

    public T Dequeue()
    {
        var item = items[head];
        items[head] = default!;
        head = (head + 1) & (items.Length - 1);
        count--;
        return item;
    }

    public void RemoveAt(int index)
    {
        for (int i = index; i < count - 1; i++) this[i] = this[i + 1];
        this[count - 1] = default!;
        count--;
    }

    public void Clear()
    {
        Array.Clear(items);
        head = count = 0;
    }
}
