/* Runs the ONNX backend node conformance suite through the executor.
 *
 * usage: node_conformance SUITE_DIR [--filter SUBSTRING] [--known-failures FILE] [--verbose]
 *
 * Each case runs in a child process (a crash or a hang in one op is reported as that case failing,
 * not as the runner dying). Prints one line per failing case and a final tally
 * "N passed, M failed, K unsupported". Cases listed in --known-failures are reported but do not
 * fail the run; a listed case that passes is reported so the list shrinks. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/compare.h"
#include "exec/session.h"
#include "onnxlite/onnxlite.h"

enum { CASE_PASS = 0, CASE_FAIL = 1, CASE_UNSUPPORTED = 2 };
#define CASE_TIMEOUT_S 60

/* dir + "/" + name into out; long paths are cut (and then fail to open, which is reported). */
static void join_path(char *out, size_t size, const char *dir, const char *name)
{
    if (snprintf(out, size, "%s/%s", dir, name) >= (int)size)
        out[size - 1] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ktensor_from(const ol_tensor *t, ol_ktensor *k)
{
    memset(k, 0, sizeof *k);
    ol_ktensor_set_shape(k, t->dtype, t->rank, t->dims);
    k->data = (void *)t->data;
}

static int run_data_set(const char *dir, ol_model *model, ol_session *session, const char *name)
{
    const ol_graph *g = model->graph;
    size_t n_in = g->n_inputs, n_out = g->n_outputs;
    ol_tensor **in_t = calloc(n_in + 1, sizeof *in_t), **exp_t = calloc(n_out + 1, sizeof *exp_t);
    ol_ktensor *inputs = calloc(n_in + 1, sizeof *inputs), *outputs = calloc(n_out + 1, sizeof *outputs);
    ol_error err = {0};
    int result = CASE_PASS;
    char path[4096];
    /* Data sets bind the inputs that have no initializer, in order. */
    size_t next = 0;
    for (size_t i = 0; i < n_in; i++) {
        char file[64];
        snprintf(file, sizeof file, "input_%zu.pb", next);
        join_path(path, sizeof path, dir, file);
        if (access(path, R_OK) != 0) {
            if (g->inputs[i]->constant)
                continue;
            printf("FAIL %s: missing %s\n", name, path);
            result = CASE_FAIL;
            goto done;
        }
        next++;
        if (ol_tensor_read_file(path, &in_t[i], &err) != OL_OK) {
            printf("UNSUPPORTED %s: %s\n", name, err.message);
            result = CASE_UNSUPPORTED;
            goto done;
        }
        if (in_t[i]->dtype == OL_STRING) {
            printf("UNSUPPORTED %s: string input\n", name);
            result = CASE_UNSUPPORTED;
            goto done;
        }
        ktensor_from(in_t[i], &inputs[i]);
    }
    for (size_t i = 0; i < n_out; i++) {
        char file[64];
        snprintf(file, sizeof file, "output_%zu.pb", i);
        join_path(path, sizeof path, dir, file);
        if (ol_tensor_read_file(path, &exp_t[i], &err) != OL_OK) {
            printf("UNSUPPORTED %s: %s\n", name, err.message);
            result = CASE_UNSUPPORTED;
            goto done;
        }
    }
    if (ol_session_run(session, inputs, outputs, &err) != OL_OK) {
        /* An op that refuses a mode it does not implement (training Dropout, float8 casts) makes
         * the case unsupported, not failed: the refusal is the documented behaviour. */
        result = err.status == OL_ERR_UNSUPPORTED ? CASE_UNSUPPORTED : CASE_FAIL;
        printf("%s %s: %s\n", result == CASE_FAIL ? "FAIL" : "UNSUPPORTED", name, err.message);
        goto done;
    }
    for (size_t i = 0; i < n_out; i++) {
        ol_ktensor expected;
        ktensor_from(exp_t[i], &expected);
        ol_compare_result r;
        ol_compare_tensors(&outputs[i], &expected, 1e-3, 1e-7, &r);
        if (!r.match) {
            printf("FAIL %s: output '%s': %s\n", name, g->outputs[i]->name, r.reason);
            result = CASE_FAIL;
            break;
        }
    }
done:
    for (size_t i = 0; i < n_out; i++) {
        free(outputs[i].data);
        ol_tensor_destroy(exp_t[i]);
    }
    for (size_t i = 0; i < n_in; i++)
        ol_tensor_destroy(in_t[i]);
    free(in_t);
    free(exp_t);
    free(inputs);
    free(outputs);
    return result;
}

static int run_case(const char *case_dir, const char *name)
{
    char path[4096];
    join_path(path, sizeof path, case_dir, "model.onnx");
    ol_error err = {0};
    ol_model *model = NULL;
    ol_session *session = NULL;
    if (ol_model_read_file(path, &model, &err) != OL_OK) {
        printf("FAIL %s: %s\n", name, err.message);
        return CASE_FAIL;
    }
    for (size_t i = 0; i < model->graph->n_outputs; i++)
        if (model->graph->outputs[i]->type.kind == OL_TYPE_OTHER ||
            model->graph->outputs[i]->type.elem == OL_STRING) {
            printf("UNSUPPORTED %s: output '%s' is not a numeric tensor\n", name,
                   model->graph->outputs[i]->name);
            ol_model_destroy(model);
            return CASE_UNSUPPORTED;
        }
    if (ol_session_create(model, &(ol_session_options){.threads = 1}, &session, &err) != OL_OK) {
        int r = err.status == OL_ERR_UNSUPPORTED ? CASE_UNSUPPORTED : CASE_FAIL;
        printf("%s %s: %s\n", r == CASE_UNSUPPORTED ? "UNSUPPORTED" : "FAIL", name, err.message);
        ol_model_destroy(model);
        return r;
    }
    int result = CASE_PASS;
    DIR *d = opendir(case_dir);
    struct dirent *e;
    char **sets = NULL;
    size_t n_sets = 0;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, "test_data_set_", 14) == 0) {
            sets = realloc(sets, (n_sets + 1) * sizeof *sets);
            sets[n_sets++] = strdup(e->d_name);
        }
    if (d)
        closedir(d);
    qsort(sets, n_sets, sizeof *sets, cmp_str);
    for (size_t i = 0; i < n_sets && result == CASE_PASS; i++) {
        join_path(path, sizeof path, case_dir, sets[i]);
        result = run_data_set(path, model, session, name);
    }
    for (size_t i = 0; i < n_sets; i++)
        free(sets[i]);
    free(sets);
    ol_session_destroy(session);
    ol_model_destroy(model);
    return result;
}

static char **read_lines(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    if (path && !f) {
        fprintf(stderr, "node_conformance: cannot open %s\n", path);
        exit(2);
    }
    char **lines = NULL, buf[512];
    while (f && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n# ")] = '\0';
        if (!*buf)
            continue;
        lines = realloc(lines, (*n + 1) * sizeof *lines);
        lines[(*n)++] = strdup(buf);
    }
    if (f)
        fclose(f);
    return lines;
}

/* File scope, so that forked children (which exit through exit() for LeakSanitizer's sake) see
 * the parent's lists as reachable rather than leaked. */
static char **cases, **known;

static bool listed(char **lines, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(lines[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const char *suite = NULL, *filter = NULL, *known_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--known-failures") == 0 && i + 1 < argc)
            known_path = argv[++i];
        else if (!suite)
            suite = argv[i];
        else {
            fprintf(stderr, "usage: node_conformance SUITE_DIR [--filter S] [--known-failures FILE]\n");
            return 2;
        }
    }
    if (!suite) {
        fprintf(stderr, "usage: node_conformance SUITE_DIR [--filter S] [--known-failures FILE]\n");
        return 2;
    }
    size_t n_known;
    known = read_lines(known_path, &n_known);
    DIR *d = opendir(suite);
    if (!d) {
        fprintf(stderr, "node_conformance: cannot open suite folder %s\n", suite);
        return 2;
    }
    size_t n_cases = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || (filter && !strstr(e->d_name, filter)))
            continue;
        cases = realloc(cases, (n_cases + 1) * sizeof *cases);
        cases[n_cases++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(cases, n_cases, sizeof *cases, cmp_str);
    size_t passed = 0, failed = 0, unsupported = 0, known_failed = 0, known_passed = 0;
    for (size_t i = 0; i < n_cases; i++) {
        char dir[4096];
        join_path(dir, sizeof dir, suite, cases[i]);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(CASE_TIMEOUT_S);
            int r = run_case(dir, cases[i]);
            fflush(stdout);
            exit(r);   /* not _exit: LeakSanitizer checks the child at exit */
        }
        int status = 0;
        waitpid(pid, &status, 0);
        int r = CASE_FAIL;
        if (WIFEXITED(status) && WEXITSTATUS(status) <= CASE_UNSUPPORTED)
            r = WEXITSTATUS(status);
        else
            printf("FAIL %s: %s %d\n", cases[i], WIFSIGNALED(status) ? "killed by signal" : "exit code",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        bool is_known = listed(known, n_known, cases[i]);
        if (r == CASE_PASS) {
            passed++;
            if (is_known) {
                known_passed++;
                printf("NOW PASSING (remove from the known-failures list) %s\n", cases[i]);
            }
        } else if (r == CASE_UNSUPPORTED) {
            unsupported++;
        } else if (is_known) {
            known_failed++;
        } else {
            failed++;
        }
        free(cases[i]);
    }
    free(cases);
    for (size_t i = 0; i < n_known; i++)
        free(known[i]);
    free(known);
    printf("conformance: %zu cases; %zu known failures (listed in the known-failures file)\n",
           passed + failed + unsupported + known_failed, known_failed);
    printf("%zu passed, %zu failed, %zu unsupported\n", passed, failed + known_failed, unsupported);
    /* Only failures outside the known list fail the run, so regressions cannot hide. */
    return failed ? 1 : 0;
}
