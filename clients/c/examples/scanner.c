/* scanner.c: the WDK scanner's user-mode half (scanuser) in C, on altitude_fltlib: connects to \ScannerPort, takes
 * each SCANNER_NOTIFICATION the filter sends (up to 1024 bytes of the file), answers SafeToOpen = 0 when they hold
 * "foul". Usage: scanner [threads (1-64, default 2)]. It prints scanuser's lines, so the same checks apply to both. */
#include "../altitude_fltlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCANNER_READ_BUFFER_SIZE 1024

typedef struct {
    uint32_t BytesToScan;
    uint32_t Reserved;
    uint8_t Contents[SCANNER_READ_BUFFER_SIZE];
} SCANNER_NOTIFICATION;

typedef struct {
    FILTER_MESSAGE_HEADER MessageHeader;
    SCANNER_NOTIFICATION Notification;
} SCANNER_MESSAGE;

typedef struct {
    FILTER_REPLY_HEADER ReplyHeader;
    uint8_t SafeToOpen;
} SCANNER_REPLY_MESSAGE;

#define SCANNER_REPLY_SIZE ((uint32_t)(sizeof(FILTER_REPLY_HEADER) + 1))   /* 17 bytes, as the WDK computes it */

static HANDLE port;
static pthread_mutex_t output = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *line, long value, int with_value)
{
    pthread_mutex_lock(&output);
    if (with_value) printf(line, value); else fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&output);
}

static int scan(const uint8_t *contents, uint32_t length)
{
    if (length > SCANNER_READ_BUFFER_SIZE) length = SCANNER_READ_BUFFER_SIZE;
    for (uint32_t i = 0; i + 4 <= length; i++)
        if (!memcmp(contents + i, "foul", 4)) { say("Found a string", 0, 0); return 1; }
    return 0;
}

static void *worker(void *unused)
{
    (void)unused;
    SCANNER_MESSAGE message;
    HRESULT hr;
    for (;;) {
        hr = FilterGetMessage(port, &message.MessageHeader, sizeof message);
        if (FAILED(hr)) break;
        say("Received message, size %ld", (long)sizeof message, 1);
        int found = scan(message.Notification.Contents, message.Notification.BytesToScan);
        SCANNER_REPLY_MESSAGE reply = { { 0, 0, message.MessageHeader.MessageId }, (uint8_t)!found };
        say("Replying message, SafeToOpen: %ld", !found, 1);
        hr = FilterReplyMessage(port, &reply.ReplyHeader, SCANNER_REPLY_SIZE);
        if (FAILED(hr)) {
            pthread_mutex_lock(&output);
            printf("Scanner: Error replying message. Error = 0x%X\n", (unsigned)hr);
            fflush(stdout);
            pthread_mutex_unlock(&output);
            break;
        }
        say("Replied message", 0, 0);
    }
    if (hr == E_HANDLE) say("Scanner: Port is disconnected, probably due to scanner filter unloading.", 0, 0);
    else {
        pthread_mutex_lock(&output);
        printf("Scanner: Unknown error occurred. Error = 0x%X\n", (unsigned)hr);
        fflush(stdout);
        pthread_mutex_unlock(&output);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 64) { fprintf(stderr, "usage: scanner [threads (1-64)]\n"); return 2; }
    puts("Scanner: Connecting to the filter ...");
    HRESULT hr = FilterConnectCommunicationPort("\\ScannerPort", 0, NULL, 0, NULL, &port);
    if (FAILED(hr)) { printf("ERROR: Connecting to filter port: 0x%08x\n", (unsigned)hr); return 1; }
    printf("Scanner: Port = \\ScannerPort, %d threads (C client)\n", threads);
    fflush(stdout);
    pthread_t ids[64];
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    FilterClose(port);
    printf("Scanner:  All done. Result = 0x%08x\n", 0u);
    return 0;
}
