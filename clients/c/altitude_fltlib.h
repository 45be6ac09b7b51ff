/* altitude_fltlib.h: FltLib for Altitude in C, a client of fltmgrd's communication ports and control endpoint, written
 * from docs/port-protocol.md and docs/control-endpoint.md. Every call returns an HRESULT (S_OK = 0); the values are
 * Windows' (0x80070005 access denied, 0x80070006 the port is gone, 0x801F0020 no waiter for a reply, ...).
 *
 * Threads: a handle may be used from several threads (each call matches its own answer by tag). There is no
 * OVERLAPPED: the calls block; run a thread per outstanding get, as the WDK scanner does with its completion port.
 * Names are UTF-8 (the wire's UTF-16 is made here). Link with altitude_fltlib.c and -lpthread. */
#ifndef ALTITUDE_FLTLIB_H
#define ALTITUDE_FLTLIB_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t HRESULT;
typedef int32_t NTSTATUS;
typedef struct altitude_port *HANDLE;   /* a connection to a port (or to the control endpoint) */

#define S_OK ((HRESULT)0)
#define SUCCEEDED(hr) ((HRESULT)(hr) >= 0)
#define FAILED(hr) ((HRESULT)(hr) < 0)
#define E_INVALIDARG ((HRESULT)0x80070057)
#define E_ACCESSDENIED ((HRESULT)0x80070005)
#define E_OUTOFMEMORY ((HRESULT)0x8007000E)
#define E_HANDLE ((HRESULT)0x80070006)
#define HRESULT_FILE_NOT_FOUND ((HRESULT)0x80070002)
#define HRESULT_INSUFFICIENT_BUFFER ((HRESULT)0x8007007A)
#define HRESULT_MORE_DATA ((HRESULT)0x800700EA)
#define HRESULT_NO_MORE_ITEMS ((HRESULT)0x80070103)
#define HRESULT_FLT_NO_WAITER_FOR_REPLY ((HRESULT)0x801F0020)

/* FILTER_MESSAGE_HEADER and FILTER_REPLY_HEADER, 16 bytes each, as in fltUserStructures.h. */
typedef struct {
    uint32_t ReplyLength;   /* the reply capacity + 16, or 0 when the filter expects no reply */
    uint32_t Reserved;
    uint64_t MessageId;
} FILTER_MESSAGE_HEADER;

typedef struct {
    NTSTATUS Status;
    uint32_t Reserved;
    uint64_t MessageId;
} FILTER_REPLY_HEADER;

/* Ports (the directory: portDirectory, else $ALTITUDE_PORT_DIRECTORY, else /run/altitude/ports). */
HRESULT FilterConnectCommunicationPort(const char *portName, uint32_t options, const void *context, uint16_t sizeOfContext,
                                       const char *portDirectory, HANDLE *port);
HRESULT FilterSendMessage(HANDLE port, const void *inBuffer, uint32_t inBufferSize, void *outBuffer, uint32_t outBufferSize,
                          uint32_t *bytesReturned);
/* Blocks until a message arrives; messageBuffer starts with FILTER_MESSAGE_HEADER, the filter's message follows. */
HRESULT FilterGetMessage(HANDLE port, FILTER_MESSAGE_HEADER *messageBuffer, uint32_t messageBufferSize);
/* replyBuffer starts with FILTER_REPLY_HEADER (MessageId from the message), the reply follows. */
HRESULT FilterReplyMessage(HANDLE port, const FILTER_REPLY_HEADER *replyBuffer, uint32_t replyBufferSize);
HRESULT FilterClose(HANDLE port);

/* Management, on fltmgrd's control endpoint (controlSocket, else $ALTITUDE_CONTROL_SOCKET, else /run/altitude/control).
 * Load, unload, attach and detach need uid 0. */
HRESULT FilterLoad(const char *filterName, const char *controlSocket);
HRESULT FilterUnload(const char *filterName, const char *controlSocket);
/* instanceName may be NULL (the default instance); createdInstance (UTF-8, NUL-terminated) may be NULL. */
HRESULT FilterAttach(const char *filterName, const char *volumeName, const char *instanceName, char *createdInstance,
                     uint32_t createdInstanceSize, const char *controlSocket);
HRESULT FilterAttachAtAltitude(const char *filterName, const char *volumeName, const char *altitude, const char *instanceName,
                               char *createdInstance, uint32_t createdInstanceSize, const char *controlSocket);
HRESULT FilterDetach(const char *filterName, const char *volumeName, const char *instanceName, const char *controlSocket);

/* Enumerating the filters: one FILTER_* entry of informationClass (0 full, 1 aggregate basic, 2 aggregate standard;
 * layouts in docs/control-endpoint.md section 5) per call; HRESULT_NO_MORE_ITEMS at the end. */
HRESULT FilterFindFirst(uint32_t informationClass, void *buffer, uint32_t bufferSize, uint32_t *bytesReturned,
                        HANDLE *filterFind, const char *controlSocket);
HRESULT FilterFindNext(HANDLE filterFind, uint32_t informationClass, void *buffer, uint32_t bufferSize, uint32_t *bytesReturned);
HRESULT FilterFindClose(HANDLE filterFind);

#ifdef __cplusplus
}
#endif

#endif
