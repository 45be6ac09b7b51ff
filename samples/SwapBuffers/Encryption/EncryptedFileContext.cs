// The file context of the encryption mode: shared by every name (hard links) and every open of one file.
namespace Altitude.Samples.SwapBuffers;

internal sealed class EncryptedFileContext : FltContext
{
    /// <summary>False for a file that held data before the filter saw it without a nonce: its bytes pass unchanged.</summary>
    public bool Encrypted;

    /// <summary>The file's nonce (the backing file's xattr user.altitude.swapbuffers).</summary>
    public readonly byte[] Nonce = new byte[FileCipher.NonceSize];

    /// <summary>
    /// Held from a WRITE's or size change's pre-operation to its post-operation: the check of a partial block and the
    /// write that fills it must not interleave with another writer of the same block.
    /// </summary>
    public readonly SemaphoreSlim Writers = new(1, 1);
}
