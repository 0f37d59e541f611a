/* JSON strings for text taken from model files. */
#ifndef OL_ANALYSIS_JSON_TEXT_H
#define OL_ANALYSIS_JSON_TEXT_H

#include <jansson.h>

/* A JSON string holding `text`; NULL text gives JSON null. Names in a model file are not checked
 * to be UTF-8 and jansson refuses invalid UTF-8, so when `text` is not valid UTF-8 every non-ASCII
 * byte is replaced by '?', rather than dropping the entry or failing the whole report. NULL only
 * when out of memory. */
json_t *ol_json_text(const char *text);

#endif
