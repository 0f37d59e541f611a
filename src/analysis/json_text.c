#include <stdlib.h>
#include <string.h>

#include "analysis/json_text.h"

json_t *ol_json_text(const char *text)
{
    if (!text)
        return json_null();
    json_t *exact = json_string(text);
    if (exact)
        return exact;
    char *ascii = strdup(text);
    if (!ascii)
        return NULL;
    for (char *p = ascii; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    json_t *lossy = json_string(ascii);
    free(ascii);
    return lossy;
}
