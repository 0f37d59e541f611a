/* Subcommands of the onnx-lite CLI. main.c dispatches on argv[1] through a table of these.
 *
 * Each takes the arguments from the subcommand name on (argv[0] is "inspect", ...) and returns the
 * process exit code: 0 on success, 1 on an error (a message naming the file or input on stderr),
 * 2 on a usage error. */
#ifndef OL_CLI_COMMANDS_H
#define OL_CLI_COMMANDS_H

/* onnx-lite inspect MODEL [--json] [--overwrite-input-shape NAME:D0,D1,...]... */
int ol_cmd_inspect(int argc, char **argv);

/* onnx-lite convert IN -o OUT [--save-as-external-data] [--external-threshold BYTES] */
int ol_cmd_convert(int argc, char **argv);

/* onnx-lite run MODEL [--input NAME=FILE]... [--random] [--output-dir DIR] [--format npy|pb] */
int ol_cmd_run(int argc, char **argv);

/* onnx-lite bench MODEL [--threads N] [--runs N] [--batch N] [--profile] [--json] */
int ol_cmd_bench(int argc, char **argv);

/* onnx-lite eval MODEL --data PATH --labels PATH [--preprocess TEXT] [--batch N] [--limit N]
 *                [--threads N] [--json] */
int ol_cmd_eval(int argc, char **argv);

/* onnx-lite optimize IN -o OUT [-p PIPELINE | -O0 | -O1] [--skip-passes A,B] [--verify ...]
 *                    [--verify-each] [--report FILE.json] [--plugin LIB.so]... (see --help) */
int ol_cmd_optimize(int argc, char **argv);

/* onnx-lite passes [--plugin LIB.so]... */
int ol_cmd_passes(int argc, char **argv);

#endif
