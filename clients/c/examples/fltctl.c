/* fltctl.c: the management calls of altitude_fltlib from C. Usage: fltctl load NAME | unload NAME | filters |
 * attach FILTER VOLUME [INSTANCE] | detach FILTER VOLUME [INSTANCE]. Prints the HRESULT of a failure and exits 1. */
#include "../altitude_fltlib.h"

#include <stdio.h>
#include <string.h>

static int report(const char *what, HRESULT hr)
{
    if (SUCCEEDED(hr)) return 0;
    printf("%s failed with error: 0x%08x\n", what, (unsigned)hr);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "load")) return report("Load", FilterLoad(argv[2], NULL));
    if (argc >= 3 && !strcmp(argv[1], "unload")) return report("Unload", FilterUnload(argv[2], NULL));
    if (argc >= 4 && !strcmp(argv[1], "attach")) {
        char instance[256];
        HRESULT hr = FilterAttach(argv[2], argv[3], argc > 4 ? argv[4] : NULL, instance, sizeof instance, NULL);
        if (SUCCEEDED(hr)) printf("attached %s\n", instance);
        return report("Attach", hr);
    }
    if (argc >= 4 && !strcmp(argv[1], "detach")) return report("Detach", FilterDetach(argv[2], argv[3], argc > 4 ? argv[4] : NULL, NULL));
    if (argc == 2 && !strcmp(argv[1], "filters")) {
        /* FILTER_AGGREGATE_BASIC_INFORMATION (class 1): 16 FilterNameLength, 18 its offset, 20/22 the altitude's. */
        unsigned char entry[1024];
        uint32_t bytes;
        HANDLE find;
        HRESULT hr = FilterFindFirst(1, entry, sizeof entry, &bytes, &find, NULL);
        if (hr == HRESULT_NO_MORE_ITEMS) return 0;
        if (FAILED(hr)) return report("Filter listing", hr);
        do {
            unsigned nameLength = entry[16] | entry[17] << 8, nameOffset = entry[18] | entry[19] << 8;
            unsigned altLength = entry[20] | entry[21] << 8, altOffset = entry[22] | entry[23] << 8;
            for (unsigned i = 0; i < nameLength; i += 2) putchar(entry[nameOffset + i]);   /* ASCII names */
            putchar(' ');
            for (unsigned i = 0; i < altLength; i += 2) putchar(entry[altOffset + i]);
            putchar('\n');
            hr = FilterFindNext(find, 1, entry, sizeof entry, &bytes);
        } while (SUCCEEDED(hr));
        FilterFindClose(find);
        return hr == HRESULT_NO_MORE_ITEMS ? 0 : report("Filter listing", hr);
    }
    fprintf(stderr, "usage: fltctl load NAME | unload NAME | filters | attach FILTER VOLUME [INSTANCE] | detach FILTER VOLUME [INSTANCE]\n");
    return 2;
}
