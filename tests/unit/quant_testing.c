#include "quant_testing.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "data_builders.h"
#include "pass/manager.h"
#include "pass/registry.h"

qt_data qt_data_write(int rank, const int64_t *dims, const float *samples, const int64_t *labels)
{
    qt_data d = {.dir = irb_tempdir()};
    d.samples = irb_path(d.dir, "samples");
    dtb_mkdir(d.samples);
    char *file = irb_path(d.samples, "x.npy");
    dtb_write_npy(file, OL_FLOAT, rank, dims, samples);
    free(file);
    if (labels) {
        d.labels = irb_path(d.dir, "labels.npy");
        dtb_write_npy(d.labels, OL_INT64, 1, dims, labels);
    }
    return d;
}

void qt_data_remove(qt_data *data)
{
    free(data->samples);
    free(data->labels);
    dtb_rmtree(data->dir);
    *data = (qt_data){0};
}

ol_status qt_run(ol_model *model, const char *pipeline, const qt_data *data, size_t samples,
                 ol_pipeline_report *report, ol_error *err)
{
    ol_pass_registry *registry = NULL;
    ol_pipeline parsed = {0};
    *report = (ol_pipeline_report){0};
    cr_assert_eq(ol_pass_registry_create(&registry, err), OL_OK, "%s", err->message);
    cr_assert_eq(ol_pass_registry_add_builtins(registry, err), OL_OK, "%s", err->message);
    cr_assert_eq(ol_pipeline_parse(registry, pipeline, &parsed, NULL, err), OL_OK, "%s: %s", pipeline,
                 err->message);
    ol_pass_context context = {.calibration_samples = samples};
    if (data)
        context.data = (ol_dataset_options){.path = data->samples, .labels_path = data->labels};
    ol_pass_manager_options options = {.verify_each = true, .context = &context};
    ol_status st = ol_pass_manager_run(&parsed, model, &options, report, err);
    ol_pass_context_clear(&context);
    ol_pipeline_clear(&parsed);
    ol_pass_registry_destroy(registry);
    return st;
}

void qt_quantize(ol_model *model, const char *pipeline, const qt_data *data, ol_pipeline_report *report)
{
    ol_error err = {0};
    cr_assert_eq(qt_run(model, pipeline, data, 0, report, &err), OL_OK, "%s: %s", pipeline, err.message);
}

const ol_pass_note *qt_note(const ol_pipeline_report *report, const char *text)
{
    for (size_t i = 0; i < report->n_notes; i++)
        if (strstr(report->notes[i].message, text))
            return &report->notes[i];
    return NULL;
}

void qt_uniform(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = lo + (hi - lo) * (float)((double)(seed >> 11) / 9007199254740992.0);
    }
}

ol_node *qt_reader(const ol_value *value)
{
    cr_assert_eq(value->n_uses, 1, "'%s' has %zu readers", value->name, value->n_uses);
    return value->uses[0].node;
}

float qt_scalar(const ol_value *value)
{
    const ol_tensor *t = ol_value_constant(value);
    cr_assert(t && t->dtype == OL_FLOAT && ol_tensor_numel(t) == 1, "'%s' is not a float scalar", value->name);
    float f;
    memcpy(&f, t->data, sizeof f);
    return f;
}
