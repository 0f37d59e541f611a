/* A source over a folder of PNG/JPEG images for one image input: each file is one sample, decoded
 * when it is served and preprocessed as torchvision would (convert, resize the shorter side, center
 * crop, scale, mean/std, layout), so memory holds one image at a time. */
#include <stdlib.h>
#include <string.h>

#include "data/dataset_source.h"
#include "data/image.h"
#include "data/preprocess.h"

typedef struct images_source {
    char **paths;
    size_t n_paths, next;
    const ol_dataset_input *input;
    ol_preprocess pp;
    ol_pixel_layout layout;
    int channels;   /* 1 or 3 */
    bool bgr;
} images_source;

static void images_destroy(void *self)
{
    images_source *s = self;
    ol_dataset_free_paths(s->paths, s->n_paths);
    free(s);
}

/* Decoded, converted, resized and cropped pixels of one file, checked against the input's size. */
static ol_status load_image(const images_source *s, const char *path, ol_image *img, ol_error *err)
{
    ol_status st = ol_image_read(path, img, err);   /* its messages name the file */
    if (st != OL_OK)
        return st;
    st = ol_image_convert(img, s->channels, err);
    if (st == OL_OK && s->pp.resize)
        st = ol_image_resize_shorter(img, s->pp.resize, err);
    if (st == OL_OK && s->pp.crop_h)
        st = ol_image_center_crop(img, s->pp.crop_h, s->pp.crop_w, err);
    if (st != OL_OK) {
        ol_error_prefix(err, "'%s': ", path);
        return st;
    }
    if ((s->layout.height >= 0 && img->height != s->layout.height) ||
        (s->layout.width >= 0 && img->width != s->layout.width))
        return ol_fail(err, OL_ERR_ARG, "'%s': the image is %lldx%lld (width x height)%s but input '%s' takes "
                       "%lldx%lld; add resize= and crop= to --preprocess", path, (long long)img->width,
                       (long long)img->height, s->pp.resize || s->pp.crop_h ? " after resize and crop" : "",
                       s->input->name, (long long)s->layout.width, (long long)s->layout.height);
    return OL_OK;
}

static ol_status images_next(void *self, size_t want, ol_ktensor *chunk, size_t *got, ol_error *err)
{
    (void)want;
    images_source *s = self;
    *got = 0;
    if (s->next == s->n_paths)
        return OL_OK;
    ol_image img;
    ol_status st = load_image(s, s->paths[s->next], &img, err);
    if (st != OL_OK) {
        ol_image_free(&img);
        return st;
    }
    int64_t h = img.height, w = img.width, c = img.channels;
    size_t n = (size_t)(h * w * c);
    /* Reorder to the input's layout and channel order, still 8-bit. */
    uint8_t *planar = malloc(n);
    if (!planar) {
        ol_image_free(&img);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    for (int64_t p = 0; p < h * w; p++)
        for (int64_t k = 0; k < c; k++) {
            int64_t src_c = s->bgr ? c - 1 - k : k;
            planar[s->layout.channels_last ? p * c + k : k * h * w + p] = img.pixels[p * c + src_c];
        }
    ol_image_free(&img);
    memset(chunk, 0, sizeof *chunk);
    chunk->dtype = s->input->dtype;
    chunk->rank = s->input->rank;
    chunk->dims[0] = 1;
    if (chunk->rank == 3) {
        chunk->dims[1] = h, chunk->dims[2] = w;
    } else if (s->layout.channels_last) {
        chunk->dims[1] = h, chunk->dims[2] = w, chunk->dims[3] = c;
    } else {
        chunk->dims[1] = c, chunk->dims[2] = h, chunk->dims[3] = w;
    }
    if (chunk->dtype == OL_UINT8) {
        chunk->data = planar;
    } else {
        chunk->data = malloc(ol_ktensor_nbytes(chunk));
        if (!chunk->data) {
            free(planar);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
        ol_preprocess_normalize(&s->pp, planar, n, c, s->layout.channels_last ? 1 : h * w, chunk->dtype,
                                chunk->data);
        free(planar);
    }
    s->next++;
    *got = 1;
    return OL_OK;
}

static ol_status images_rewind(void *self, ol_error *err)
{
    (void)err;
    ((images_source *)self)->next = 0;
    return OL_OK;
}

static const ol_dataset_source_ops IMAGES_OPS = {images_next, images_rewind, images_destroy};

/* The input's channels and the preprocessing must agree: gray for 1 channel, RGB or BGR for 3. */
static ol_status resolve(images_source *s, const ol_preprocess *pp, const ol_dataset_input *input, ol_error *err)
{
    char want[256];
    ol_dataset_input_format(input, false, want, sizeof want);
    if (input->rank != 3 && input->rank != 4)
        return ol_fail(err, OL_ERR_ARG, "input '%s' %s cannot take images: it needs the shape [N,C,H,W], "
                       "[N,H,W,C] or [N,H,W]", input->name, want);
    if (input->dtype != OL_UINT8 && !ol_preprocess_dtype_ok(input->dtype))
        return ol_fail(err, OL_ERR_ARG, "input '%s' %s cannot take images: they become float or uint8 "
                       "tensors", input->name, want);
    ol_status st = ol_preprocess_layout(pp, input->name, input->rank, input->dims, &s->layout, err);
    if (st != OL_OK)
        return st;
    int64_t c = s->layout.channels;
    if (c != 1 && c != 3)
        return ol_fail(err, OL_ERR_ARG, "input '%s' %s has %lld channels; images give 1 (gray) or 3 (RGB)",
                       input->name, want, (long long)c);
    if ((pp->channels == OL_CHANNELS_GRAY && c != 1) ||
        ((pp->channels == OL_CHANNELS_RGB || pp->channels == OL_CHANNELS_BGR) && c != 3))
        return ol_fail(err, OL_ERR_ARG, "preprocess asks for channels=%s but input '%s' %s has %lld channel(s)",
                       pp->channels == OL_CHANNELS_GRAY ? "gray" : pp->channels == OL_CHANNELS_BGR ? "bgr" : "rgb",
                       input->name, want, (long long)c);
    if (pp->crop_h && ((s->layout.height >= 0 && s->layout.height != pp->crop_h) ||
                       (s->layout.width >= 0 && s->layout.width != pp->crop_w)))
        return ol_fail(err, OL_ERR_ARG, "preprocess crops to %lldx%lld (width x height) but input '%s' %s takes "
                       "%lldx%lld", (long long)pp->crop_w, (long long)pp->crop_h, input->name, want,
                       (long long)s->layout.width, (long long)s->layout.height);
    s->channels = (int)c;
    s->bgr = pp->channels == OL_CHANNELS_BGR;
    s->pp = *pp;
    return OL_OK;
}

ol_status ol_dataset_images_open(char **paths, size_t n_paths, const ol_preprocess *pp,
                                 const ol_dataset_input *input, ol_dataset_source *src, ol_error *err)
{
    images_source *s = calloc(1, sizeof *s);
    if (!s) {
        ol_dataset_free_paths(paths, n_paths);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    s->paths = paths;
    s->n_paths = n_paths;
    s->input = input;
    ol_status st = resolve(s, pp, input, err);
    if (st != OL_OK) {
        images_destroy(s);
        return st;
    }
    src->ops = &IMAGES_OPS;
    src->self = s;
    src->count = n_paths;
    return OL_OK;
}
