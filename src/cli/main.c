/* onnx-lite command-line entry: dispatches to one function per subcommand. */
#include <stdbool.h>
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

/* Thread settings that OpenMP and OpenBLAS read only when they load, so they are set by restarting
 * once, and only where the user left them alone:
 *  - libgomp's idle threads spin for milliseconds between parallel regions. Spinning that long
 *    starves OpenBLAS's own pool (resnet18 at two threads ran 2x slower than at one), while never
 *    spinning makes every short parallel region of the packed GEMM wake sleeping threads
 *    (squeezenet at two threads: 57 ms against 9 ms). So: a short spin (libgomp's GOMP_SPINCOUNT,
 *    about 0.1 ms, which overrides the policy) and a passive policy for other OpenMP runtimes.
 *  - OpenBLAS starts a pool of one thread per core when it loads, whose idle threads yield-spin.
 *    Commands that do not run models for their own sake (optimize, convert, inspect) spent more CPU
 *    in that pool than in their work (optimize on resnet18: 0.26 s of system time against 0.06 s),
 *    so they start it with one thread; a session that asks for more (--threads) grows it. */
static bool command_runs_models(const char *command)
{
    return strcmp(command, "run") == 0 || strcmp(command, "bench") == 0 || strcmp(command, "eval") == 0;
}

static void set_thread_environment(int argc, char **argv)
{
    bool changed = false;
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        setenv("GOMP_SPINCOUNT", "100000", 1);
        changed = true;
    }
    if (argc >= 2 && !command_runs_models(argv[1]) && !getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        changed = true;
    }
    if (changed)
        execv("/proc/self/exe", argv);   /* returns only on failure: then run as we are */
}

int main(int argc, char **argv)
{
    set_thread_environment(argc, argv);
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
