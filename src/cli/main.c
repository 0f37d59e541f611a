/* onnx-lite command-line entry: dispatches to one function per subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "onnxlite/onnxlite.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"inspect", ol_cmd_inspect, "summarize a model: inputs, outputs, ops, parameters, MACs"},
    {"convert", ol_cmd_convert, "read a model and write it back (inline or external data)"},
    {"optimize", ol_cmd_optimize, "run a pipeline of passes over a model, verify it, report"},
    {"passes", ol_cmd_passes, "list the passes a pipeline can name, with their options"},
    {"run", ol_cmd_run, "execute a model on given or random inputs and save the outputs"},
    {"bench", ol_cmd_bench, "measure latency, throughput and memory of the executor"},
    {"eval", ol_cmd_eval, "top-1/top-5 accuracy of a classifier on a labelled data set"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: onnx-lite COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\n'onnx-lite COMMAND --help' describes a command's options.\n");
}

/* libgomp's idle threads spin for milliseconds between parallel regions and read their wait policy
 * only when the library loads. Spinning that long starves OpenBLAS's own pool (resnet18 at two
 * threads ran 2x slower than at one), while never spinning makes every short parallel region of the
 * packed GEMM wake sleeping threads (squeezenet at two threads: 57 ms against 9 ms). So unless the
 * user chose, restart once with a short spin (libgomp's GOMP_SPINCOUNT, about 0.1 ms, which
 * overrides the policy) and a passive policy for other OpenMP runtimes. */
static void prefer_passive_openmp_wait(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv("GOMP_SPINCOUNT", "100000", 1);
    execv("/proc/self/exe", argv);   /* returns only on failure: then run with the default policy */
}

int main(int argc, char **argv)
{
    prefer_passive_openmp_wait(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("onnx-lite %s\n", ONNXLITE_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "onnx-lite: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
