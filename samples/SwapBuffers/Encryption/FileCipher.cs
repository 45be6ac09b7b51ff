// AES-256 in counter mode, the Altitude addition to swapBuffers: a keystream that can start at any byte, so a READ or
// WRITE at any offset is transformed on its own and the file keeps its size. Counter block i of a file is its 16-byte
// nonce with i added to the low 64 bits (big-endian); byte o of the file is XORed with keystream byte o.
//
// Holes: ext4 reads a hole (sparse range, a truncate that grew the file) as zeros, which are not a ciphertext. A full
// 16-byte block of ciphertext zeros therefore decrypts to zeros (gocryptfs treats all-zero blocks the same way); a real
// ciphertext block is all zero only when its plaintext equals its keystream block (probability 2^-128). Partial blocks
// (the last one of a file) are always decrypted: the filter keeps them real ciphertext (SwapBuffersFilter.Encryption.cs).
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Altitude.Samples.SwapBuffers;

internal sealed class FileCipher : IDisposable
{
    public const int BlockSize = 16, NonceSize = 16, CheckSize = 8;
    private const int ChunkBlocks = 1024;   // keystream computed 16 KiB at a time
    private readonly byte[] key;
    // ICryptoTransform is not thread-safe: one ECB encryptor per thread, made once and reused (no allocation per call).
    private readonly ThreadLocal<Scratch> scratch;

    private sealed class Scratch(ICryptoTransform ecb)
    {
        public readonly ICryptoTransform Ecb = ecb;
        public readonly byte[] Counters = new byte[ChunkBlocks * BlockSize];
        public readonly byte[] Keystream = new byte[ChunkBlocks * BlockSize];
    }

    public FileCipher(byte[] key)
    {
        if (key.Length != 32) throw new ArgumentException("AES-256 needs a 32-byte key", nameof(key));
        this.key = (byte[])key.Clone();   // the caller clears its copy; the encryptors are made later, per thread
        scratch = new ThreadLocal<Scratch>(() =>
        {
            using Aes aes = Aes.Create();
            aes.Key = this.key;
            aes.Mode = CipherMode.ECB;
            aes.Padding = PaddingMode.None;
            return new Scratch(aes.CreateEncryptor());
        }, trackAllValues: true);
    }

    /// <summary>
    /// The key check stored beside a file's nonce: the first 8 bytes of AES(~nonce). ~nonce is never a counter block of
    /// the same nonce (its high half would have to equal its own complement), so this reveals no keystream.
    /// </summary>
    public void ComputeCheck(ReadOnlySpan<byte> nonce, Span<byte> check)
    {
        Scratch s = scratch.Value!;
        for (int i = 0; i < BlockSize; i++) s.Counters[i] = (byte)~nonce[i];
        s.Ecb.TransformBlock(s.Counters, 0, BlockSize, s.Keystream, 0);
        s.Keystream.AsSpan(0, CheckSize).CopyTo(check);
    }

    /// <summary>Encrypts <paramref name="data"/>, which sits at <paramref name="fileOffset"/> of the file, in place.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, long fileOffset, Span<byte> data) => Apply(nonce, fileOffset, data, holes: false);

    /// <summary>Decrypts in place; full all-zero blocks (holes) stay zeros.</summary>
    public void Decrypt(ReadOnlySpan<byte> nonce, long fileOffset, Span<byte> data) => Apply(nonce, fileOffset, data, holes: true);

    private void Apply(ReadOnlySpan<byte> nonce, long fileOffset, Span<byte> data, bool holes)
    {
        Scratch s = scratch.Value!;
        ulong high = BinaryPrimitives.ReadUInt64BigEndian(nonce), low = BinaryPrimitives.ReadUInt64BigEndian(nonce[8..]);
        while (!data.IsEmpty)
        {
            long block = fileOffset / BlockSize;
            int skip = (int)(fileOffset % BlockSize);
            int blocks = (int)Math.Min(ChunkBlocks, (skip + (long)data.Length + BlockSize - 1) / BlockSize);
            for (int i = 0; i < blocks; i++)
            {
                Span<byte> counter = s.Counters.AsSpan(i * BlockSize, BlockSize);
                BinaryPrimitives.WriteUInt64BigEndian(counter, high);
                BinaryPrimitives.WriteUInt64BigEndian(counter[8..], unchecked(low + (ulong)(block + i)));
            }
            s.Ecb.TransformBlock(s.Counters, 0, blocks * BlockSize, s.Keystream, 0);
            int n = Math.Min(data.Length, blocks * BlockSize - skip);
            Xor(data[..n], s.Keystream.AsSpan(skip, n), holes && skip == 0);
            data = data[n..];
            fileOffset += n;
        }
    }

    /// <summary>data ^= keystream, 16 bytes at a time; with <paramref name="holes"/> a full zero block is left as it is.</summary>
    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream, bool holes)
    {
        int i = 0;
        for (; i + BlockSize <= data.Length; i += BlockSize)
        {
            var d = Vector128.Create<byte>(data.Slice(i, BlockSize));
            if (holes && d == Vector128<byte>.Zero) continue;
            (d ^ Vector128.Create<byte>(keystream.Slice(i, BlockSize))).CopyTo(data.Slice(i, BlockSize));
        }
        for (; i < data.Length; i++) data[i] ^= keystream[i];
    }

    public void Dispose()
    {
        foreach (Scratch s in scratch.Values) s.Ecb.Dispose();
        scratch.Dispose();
        Array.Clear(key);
    }
}
