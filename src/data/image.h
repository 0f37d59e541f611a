/* 8-bit images for data sets: decoding PNG (libpng) and JPEG (libjpeg-turbo), and the geometric
 * steps of the preprocessing. The steps follow what torchvision's transforms do on PIL images
 * (convert('RGB'), Resize with bilinear filtering, CenterCrop), pixel for pixel, because models are
 * trained with that pipeline and a different resampler costs accuracy. */
#ifndef OL_DATA_IMAGE_H
#define OL_DATA_IMAGE_H

#include <stdint.h>

#include "onnxlite/status.h"

/* Interleaved rows: pixel (y, x) channel c at pixels[(y * width + x) * channels + c]. */
typedef struct ol_image {
    uint8_t *pixels;
    int64_t height, width;
    int channels;   /* 1 (gray) or 3 (RGB) */
} ol_image;

/* Decodes a PNG or JPEG file (told apart by their signatures) to gray or RGB: palettes are expanded,
 * 16-bit samples keep their high byte and alpha is dropped, as PIL's convert() does. */
ol_status ol_image_read(const char *path, ol_image *out, ol_error *err);
void ol_image_free(ol_image *image);

/* To `channels` (1 or 3): gray is repeated into R, G and B; RGB becomes gray by ITU-R 601-2 luma
 * (PIL's convert('L')). */
ol_status ol_image_convert(ol_image *image, int channels, ol_error *err);

/* Resizes so that the shorter side is `shorter` (the longer one scaled and truncated, as torchvision's
 * Resize(int)), with PIL's antialiased bilinear filter in its fixed-point arithmetic. */
ol_status ol_image_resize_shorter(ol_image *image, int64_t shorter, ol_error *err);
/* Resizes to exactly height x width with the same filter. */
ol_status ol_image_resize(ol_image *image, int64_t height, int64_t width, ol_error *err);

/* Keeps the centered height x width window (offsets rounded half to even, as torchvision); the
 * image must be at least that large. */
ol_status ol_image_center_crop(ol_image *image, int64_t height, int64_t width, ol_error *err);

#endif
