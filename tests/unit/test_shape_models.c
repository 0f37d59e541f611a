/* Shape inference on real models: the fixtures, the exported model zoo (when scripts/export-fixtures
 * has made it) and the ONNX backend node conformance suite in ../shared.
 *
 * Each model is checked twice. As read, inference must succeed: declared types never contradict
 * inferred ones. With the graph outputs' types removed, what inference finds for them must agree with
 * what the file declared; the test counts how often it is exactly the declared type. */
#include <dirent.h>
#include <unistd.h>

#include "test_shape_graph.h"

#define CONFORMANCE_DIR "../shared/onnx-tests/node"
#define ZOO_DIR "tests/fixtures/zoo"

typedef struct output_tally {
    size_t models, outputs;
    size_t exact;         /* inferred type == declared type */
    size_t partial;       /* agrees, but less precise than declared */
    size_t unknown;       /* nothing inferred */
    size_t contradicted;  /* disagrees: always a failure */
    size_t failed;        /* inference returned an error on the model as read */
    char first_problem[1024];
} output_tally;

/* Whether `inferred` could describe the same tensors as `declared`. */
static bool compatible(const ol_type *inferred, const ol_type *declared)
{
    if (inferred->kind != OL_TYPE_TENSOR || declared->kind != OL_TYPE_TENSOR)
        return true;
    if (inferred->elem && declared->elem && inferred->elem != declared->elem)
        return false;
    if (inferred->rank < 0 || declared->rank < 0)
        return true;
    if (inferred->rank != declared->rank)
        return false;
    for (int d = 0; d < inferred->rank; d++)
        if (inferred->dims[d].value >= 0 && declared->dims[d].value >= 0 &&
            inferred->dims[d].value != declared->dims[d].value)
            return false;
    return true;
}

static void note_problem(output_tally *t, const char *model, const char *what, const char *detail)
{
    if (!t->first_problem[0])
        snprintf(t->first_problem, sizeof t->first_problem, "%.300s%s: %.600s", model, what, detail);
}

static void check_model(const char *path, output_tally *t)
{
    ol_error err = {0};
    ol_model *m = NULL;
    if (ol_model_read_file(path, &m, &err) != OL_OK) {
        t->failed++;
        note_problem(t, path, " (cannot read)", err.message);
        return;
    }
    t->models++;
    if (ol_model_infer_shapes(m, &err) != OL_OK) {
        t->failed++;
        note_problem(t, path, "", err.message);
        ol_model_destroy(m);
        return;
    }
    ol_model_destroy(m);

    /* Second pass: forget the declared output types, infer them, compare. */
    cr_assert_eq(ol_model_read_file(path, &m, &err), OL_OK, "%s", err.message);
    ol_graph *g = m->graph;
    ol_type *declared = calloc(g->n_outputs ? g->n_outputs : 1, sizeof *declared);
    cr_assert(declared);
    for (size_t i = 0; i < g->n_outputs; i++) {
        declared[i] = (ol_type){.kind = OL_TYPE_UNKNOWN, .rank = -1};
        cr_assert_eq(ol_type_copy(&declared[i], &g->outputs[i]->type), 0);
        if (!g->outputs[i]->is_input && g->outputs[i]->producer)
            ol_type_clear(&g->outputs[i]->type);
    }
    if (ol_model_infer_shapes(m, &err) != OL_OK) {
        t->failed++;
        note_problem(t, path, " (outputs stripped)", err.message);
    } else {
        for (size_t i = 0; i < g->n_outputs; i++) {
            const ol_type *inferred = &g->outputs[i]->type;
            t->outputs++;
            if (ol_type_equal(inferred, &declared[i])) {
                t->exact++;
            } else if (!compatible(inferred, &declared[i])) {
                t->contradicted++;
                char detail[600];
                snprintf(detail, sizeof detail, "output '%.100s' inferred %.200s, declared %.200s",
                         g->outputs[i]->name, sg_type_str(inferred), sg_type_str(&declared[i]));
                note_problem(t, path, "", detail);
            } else if (inferred->kind == OL_TYPE_UNKNOWN) {
                t->unknown++;
            } else {
                t->partial++;
            }
        }
    }
    for (size_t i = 0; i < g->n_outputs; i++)
        ol_type_clear(&declared[i]);
    free(declared);
    ol_model_destroy(m);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of `dir` that `path_for` turns into existing model files. */
static size_t collect(const char *dir, bool (*path_for)(const char *dir, const char *entry, char *out),
                      char ***out)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0, cap = 0;
    char **paths = NULL;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !path_for(dir, e->d_name, path))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            paths = realloc(paths, cap * sizeof *paths);
            cr_assert(paths);
        }
        paths[n++] = strdup(path);
    }
    closedir(d);
    qsort(paths, n, sizeof *paths, by_name);
    *out = paths;
    return n;
}

static bool conformance_model(const char *dir, const char *entry, char *out)
{
    snprintf(out, 4096, "%s/%s/model.onnx", dir, entry);
    return access(out, R_OK) == 0;
}

static bool zoo_model(const char *dir, const char *entry, char *out)
{
    size_t len = strlen(entry);
    if (len < 6 || strcmp(entry + len - 5, ".onnx") != 0)
        return false;
    snprintf(out, 4096, "%s/%s", dir, entry);
    return true;
}

static void run_all(const char *what, char **paths, size_t n, output_tally *t)
{
    for (size_t i = 0; i < n; i++) {
        check_model(paths[i], t);
        free(paths[i]);
    }
    free(paths);
    cr_log_info("%s: %zu models, %zu outputs: %zu inferred exactly as declared, %zu less precisely, "
                "%zu not inferred, %zu contradicted; %zu models failed", what, t->models, t->outputs,
                t->exact, t->partial, t->unknown, t->contradicted, t->failed);
    fprintf(stderr, "shape inference over %s: %zu models, %zu outputs: %zu exact, %zu less precise, "
            "%zu not inferred, %zu contradicted, %zu models failed\n", what, t->models, t->outputs,
            t->exact, t->partial, t->unknown, t->contradicted, t->failed);
}

Test(shape_models, fixtures_infer_exactly_their_declared_outputs)
{
    static const char *const fixtures[] = {"tests/fixtures/small_cnn.onnx", "tests/fixtures/with_if.onnx"};
    output_tally t = {0};
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++)
        check_model(fixtures[i], &t);
    cr_assert_eq(t.failed + t.contradicted, 0, "%s", t.first_problem);
    cr_assert_eq(t.exact, t.outputs, "%zu of %zu outputs inferred exactly", t.exact, t.outputs);
}

Test(shape_models, exported_zoo_models, .timeout = 600)
{
    char **paths = NULL;
    size_t n = collect(ZOO_DIR, zoo_model, &paths);
    if (n == 0)
        cr_skip_test("no exported models in %s (scripts/export-fixtures makes them)", ZOO_DIR);
    output_tally t = {0};
    run_all("the model zoo", paths, n, &t);
    cr_assert_eq(t.failed + t.contradicted, 0, "%s", t.first_problem);
    cr_assert_eq(t.unknown, 0, "some zoo outputs were not inferred");
}

Test(shape_models, conformance_suite_outputs_agree_with_declarations, .timeout = 600)
{
    char **paths = NULL;
    size_t n = collect(CONFORMANCE_DIR, conformance_model, &paths);
    if (n == 0)
        cr_skip_test("the conformance suite is not at %s", CONFORMANCE_DIR);
    output_tally t = {0};
    run_all("the conformance suite", paths, n, &t);
    cr_assert_eq(t.failed + t.contradicted, 0, "%zu failures, %zu contradictions; first: %s", t.failed,
                 t.contradicted, t.first_problem);
}
