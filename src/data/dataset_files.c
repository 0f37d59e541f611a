/* Sources over tensor files: a folder of .npy/.pb files for one input, and ONNX test data set folders
 * (test_data_set_*\/input_N.pb) for any number. Every file is peeked (dtype and shape only) when the
 * set is opened, so bad files are reported before any sample is used and the sample count is known;
 * afterwards only the file being served is in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset_source.h"
#include "data/tensor_load.h"
#include "util/mem.h"

/* One group of files read together: n_inputs paths (one per input), count samples each. */
typedef struct file_group {
    char **paths;
    size_t count;
} file_group;

typedef struct files_source {
    const ol_dataset_input *inputs;   /* owned by the data set */
    size_t n_inputs;
    file_group *groups;
    size_t n_groups, next;
} files_source;

static void files_destroy(void *self)
{
    files_source *s = self;
    for (size_t g = 0; g < s->n_groups; g++)
        ol_dataset_free_paths(s->groups[g].paths, s->n_inputs);
    free(s->groups);
    free(s);
}

static ol_status files_next(void *self, size_t want, ol_ktensor *chunk, size_t *got, ol_error *err)
{
    (void)want;
    files_source *s = self;
    *got = 0;
    if (s->next == s->n_groups)
        return OL_OK;
    const file_group *g = &s->groups[s->next];
    ol_status st = OL_OK;
    size_t loaded = 0;
    for (; st == OL_OK && loaded < s->n_inputs; loaded++) {
        const char *path = g->paths[loaded];
        st = ol_tensor_load_file(path, &chunk[loaded], err);
        if (st == OL_OK)
            st = ol_dataset_input_fit(&s->inputs[loaded], path, &chunk[loaded], err);
        /* The file may have changed since it was peeked: the count must still hold. */
        if (st == OL_OK && (size_t)chunk[loaded].dims[0] != g->count)
            st = ol_fail(err, OL_ERR_IO, "'%s' changed while in use: it held %zu samples, now %lld", path,
                         g->count, (long long)chunk[loaded].dims[0]);
    }
    if (st != OL_OK) {
        for (size_t i = 0; i < loaded; i++) {
            free(chunk[i].data);
            chunk[i].data = NULL;
        }
        return st;
    }
    s->next++;
    *got = g->count;
    return OL_OK;
}

static ol_status files_rewind(void *self, ol_error *err)
{
    (void)err;
    ((files_source *)self)->next = 0;
    return OL_OK;
}

static const ol_dataset_source_ops FILES_OPS = {files_next, files_rewind, files_destroy};

/* Peeks every path of every group; fills counts and the total. */
static ol_status files_check(files_source *s, ol_dataset_source *src, ol_error *err)
{
    size_t total = 0;
    for (size_t g = 0; g < s->n_groups; g++) {
        file_group *group = &s->groups[g];
        for (size_t i = 0; i < s->n_inputs; i++) {
            ol_ktensor t;
            ol_status st = ol_tensor_peek_file(group->paths[i], &t, err);
            if (st == OL_OK)
                st = ol_dataset_input_fit(&s->inputs[i], group->paths[i], &t, err);
            if (st != OL_OK)
                return st;
            size_t count = (size_t)t.dims[0];
            if (i > 0 && count != group->count)
                return ol_fail(err, OL_ERR_ARG, "'%s' holds %zu samples but '%s' holds %zu; the inputs of "
                               "one data set must hold as many", group->paths[i], count, group->paths[0], group->count);
            group->count = count;
        }
        total += group->count;
    }
    src->ops = &FILES_OPS;
    src->self = s;
    src->count = total;
    return OL_OK;
}

ol_status ol_dataset_files_open(char **paths, size_t n_paths, const ol_dataset_input *input,
                                ol_dataset_source *src, ol_error *err)
{
    files_source *s = calloc(1, sizeof *s);
    ol_status st = OL_OK;
    if (!s || !(s->groups = calloc(n_paths + 1, sizeof *s->groups)))
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    else
        s->inputs = input, s->n_inputs = 1;
    for (size_t i = 0; i < n_paths; i++) {
        if (st == OL_OK && (s->groups[i].paths = malloc(sizeof *s->groups[i].paths))) {
            s->groups[i].paths[0] = paths[i];
            s->n_groups = i + 1;
        } else {
            if (st == OL_OK)
                st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
            free(paths[i]);
        }
    }
    free(paths);
    if (st == OL_OK)
        st = files_check(s, src, err);
    if (st != OL_OK && s)
        files_destroy(s);
    return st;
}

ol_status ol_dataset_testsets_open(char **dirs, size_t n_dirs, const ol_dataset_input *inputs,
                                   size_t n_inputs, ol_dataset_source *src, ol_error *err)
{
    files_source *s = calloc(1, sizeof *s);
    ol_status st = OL_OK;
    if (!s || !(s->groups = calloc(n_dirs + 1, sizeof *s->groups)))
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    else
        s->inputs = inputs, s->n_inputs = n_inputs;
    for (size_t g = 0; st == OL_OK && g < n_dirs; g++) {
        file_group *group = &s->groups[g];
        s->n_groups = g + 1;
        if (!(group->paths = calloc(n_inputs + 1, sizeof *group->paths)))
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
        /* input_0.pb .. input_{n-1}.pb feed the inputs; an input_n.pb means a different model. */
        for (size_t i = 0; st == OL_OK && i <= n_inputs; i++) {
            char *path;
            if (asprintf(&path, "%s/input_%zu.pb", dirs[g], i) < 0)
                st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
            else if (i < n_inputs)
                group->paths[i] = path;
            else {
                if (access(path, F_OK) == 0)
                    st = ol_fail(err, OL_ERR_ARG, "'%s': the model has %zu input(s) but the folder also "
                                 "holds input_%zu.pb", dirs[g], n_inputs, n_inputs);
                free(path);
            }
        }
    }
    if (st == OL_OK)
        st = files_check(s, src, err);
    ol_dataset_free_paths(dirs, n_dirs);
    if (st != OL_OK && s)
        files_destroy(s);
    return st;
}
