/* Error reporting for every fallible onnx-lite call.
 *
 * A fallible function returns an ol_status (0 = OL_OK) and, on failure, writes a human-readable
 * message into the caller's ol_error. There is no global error state, so two models can be processed
 * in two threads, and the library never prints or exits on its own. */
#ifndef ONNXLITE_STATUS_H
#define ONNXLITE_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ol_status {
    OL_OK = 0,
    OL_ERR_IO = 1,           /* file cannot be opened, read, written or renamed */
    OL_ERR_PARSE = 2,        /* bytes are not a valid ONNX protobuf */
    OL_ERR_INVALID = 3,      /* a well-formed model that breaks an ONNX rule (cycle, dangling name, ...) */
    OL_ERR_UNSUPPORTED = 4,  /* valid ONNX that onnx-lite does not handle */
    OL_ERR_NOMEM = 5,
    OL_ERR_ARG = 6,          /* bad argument from the caller (CLI option, API misuse) */
    OL_ERR_INTERNAL = 7,     /* a bug in onnx-lite */
} ol_status;

#define OL_ERROR_MESSAGE_SIZE 1024

typedef struct ol_error {
    ol_status status;
    char message[OL_ERROR_MESSAGE_SIZE];
} ol_error;

/* Records the first error and returns its status, so call sites read `return ol_fail(err, ...)`.
 * A later failure does not overwrite the first message: the root cause is what users need. */
ol_status ol_fail(ol_error *err, ol_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ol_status ol_failv(ol_error *err, ol_status status, const char *fmt, va_list ap);

/* Prefixes context ("reading model.onnx: ") to an already recorded message. */
void ol_error_prefix(ol_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ol_error_clear(ol_error *err);
const char *ol_status_name(ol_status status);

#ifdef __cplusplus
}
#endif
#endif
