/* Plugin passes: shared libraries that export onnxlite_plugin_init (see onnxlite/pass.h). */
#ifndef OL_PASS_PLUGIN_H
#define OL_PASS_PLUGIN_H

#include "pass/registry.h"

/* dlopen()s `path` (a bare file name that exists in the current folder is taken from there, not
 * searched for in the library path), hands its init function the host's table and adds the passes
 * it registers to `registry`. Fails with a message naming the file for a library that cannot be
 * loaded, that does not export the init symbol, whose init fails or registers nothing, or that
 * registers a pass the registry refuses (wrong ABI version or struct_size, a taken name, a bad
 * option); the library is then unloaded and none of its passes stay registered. */
ol_status ol_plugin_load(ol_pass_registry *registry, const char *path, ol_error *err);

#endif
