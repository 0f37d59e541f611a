/* Umbrella header for programs embedding onnx-lite. */
#ifndef ONNXLITE_H
#define ONNXLITE_H

#include "onnxlite/status.h"
#include "onnxlite/ir.h"
#include "onnxlite/model_io.h"
#include "onnxlite/shape.h"
#include "onnxlite/pass.h"

#define ONNXLITE_VERSION_STRING "0.1.0"

#endif
