/* Image folders: PNG (RGB, gray, RGBA, palette) and JPEG decoding, channel conversion, PIL's
 * bilinear resize and torchvision's center crop checked against values computed by hand (and by
 * PIL, noted next to them), layout and channel order, normalization, and the errors. Images are
 * written by the test with libpng and libjpeg. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "data/image.h"
#include "data_builders.h"

TestSuite(data_images, .init = dtb_setup, .fini = dtb_teardown);

static char *write_png(const char *name, int width, int height, png_uint_32 format, const void *pixels,
                       const void *colormap, int n_colors)
{
    char *path = irb_path(dtb_dir, name);
    png_image img = {.version = PNG_IMAGE_VERSION, .width = (png_uint_32)width, .height = (png_uint_32)height,
                     .format = format, .colormap_entries = (png_uint_32)n_colors};
    cr_assert(png_image_write_to_file(&img, path, 0, pixels, 0, colormap), "writing %s: %s", path, img.message);
    return path;
}

static char *write_jpeg(const char *name, int width, int height, int channels, const uint8_t *pixels)
{
    char *path = irb_path(dtb_dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = channels;
    c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)c.next_scanline * (size_t)width * (size_t)channels);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    return path;
}

/* The one batch of a set of one image. */
static ol_ktensor first_sample(const char *preprocess, ol_value *input)
{
    ol_dataset *ds = dtb_open(dtb_dir, NULL, preprocess, 0, &input, 1);
    ol_ktensor t;
    size_t got;
    cr_assert_eq(ol_dataset_next(ds, 4, &t, NULL, &got, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_geq(got, 1);
    ol_dataset_close(ds);
    return t;
}

/* A 4x2 RGB image: pixel (y, x) = (10y + x, 100 + 10y + x, 200 + 10y + x). */
static char *write_rgb(const char *name)
{
    uint8_t px[2 * 4 * 3];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++)
            for (int c = 0; c < 3; c++)
                px[(y * 4 + x) * 3 + c] = (uint8_t)(100 * c + 10 * y + x);
    return write_png(name, 4, 2, PNG_FORMAT_RGB, px, NULL, 0);
}

Test(data_images, png_rgb_nchw_normalized)
{
    free(write_rgb("a.png"));
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 3, 2, 4));
    ol_ktensor t = first_sample("scale=1,mean=1:2:3,std=2:4:8", x);
    cr_assert_eq(t.dims[1], 3);
    float means[3] = {1, 2, 3}, stds[3] = {2, 4, 8};
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 2; y++)
            for (int xx = 0; xx < 4; xx++) {
                float want = ((float)(100 * c + 10 * y + xx) - means[c]) / stds[c];
                cr_assert_float_eq(((float *)t.data)[(c * 2 + y) * 4 + xx], want, 1e-6, "c %d y %d x %d", c, y, xx);
            }
    free(t.data);
}

Test(data_images, nhwc_bgr_and_uint8)
{
    free(write_rgb("a.png"));
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_UINT8, IRB_DIMS(-1, 2, 4, 3));
    ol_ktensor t = first_sample("channels=bgr", x);
    cr_assert_eq(t.dtype, OL_UINT8);
    const uint8_t *p = t.data;
    /* pixel (1, 2): B, G, R */
    cr_assert_eq(p[(1 * 4 + 2) * 3 + 0], 212);
    cr_assert_eq(p[(1 * 4 + 2) * 3 + 1], 112);
    cr_assert_eq(p[(1 * 4 + 2) * 3 + 2], 12);
    free(t.data);
}

Test(data_images, gray_to_rgb_and_rgb_to_gray)
{
    uint8_t gray[2] = {7, 250};
    free(write_png("g.png", 2, 1, PNG_FORMAT_GRAY, gray, NULL, 0));
    ol_value *rgb = dtb_input(dtb_model->graph, "rgb", OL_FLOAT, IRB_DIMS(-1, 3, 1, 2));
    ol_ktensor t = first_sample("scale=1", rgb);
    for (int c = 0; c < 3; c++) {
        cr_assert_float_eq(((float *)t.data)[c * 2], 7, 0);
        cr_assert_float_eq(((float *)t.data)[c * 2 + 1], 250, 0);
    }
    free(t.data);
    char *g_png = irb_path(dtb_dir, "g.png");
    remove(g_png);
    free(g_png);
    /* RGB to gray by PIL's luma: red, green, blue, white give 76, 150, 29, 255. */
    uint8_t px[4 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    free(write_png("h.png", 4, 1, PNG_FORMAT_RGB, px, NULL, 0));
    ol_value *g = dtb_input(dtb_model->graph, "g", OL_UINT8, IRB_DIMS(-1, 1, 1, 4));
    t = first_sample(NULL, g);
    cr_assert_arr_eq(t.data, ((uint8_t[]){76, 150, 29, 255}), 4);
    free(t.data);
}

Test(data_images, rgba_drops_alpha_and_palette_expands)
{
    uint8_t rgba[2 * 4] = {10, 20, 30, 0, 40, 50, 60, 128};
    free(write_png("a.png", 2, 1, PNG_FORMAT_RGBA, rgba, NULL, 0));
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_UINT8, IRB_DIMS(-1, 1, 2, 3));
    ol_ktensor t = first_sample("layout=nhwc", x);
    cr_assert_arr_eq(t.data, ((uint8_t[]){10, 20, 30, 40, 50, 60}), 6, "alpha dropped, not composited");
    free(t.data);
    char *a = irb_path(dtb_dir, "a.png");
    remove(a);
    free(a);
    uint8_t colormap[2 * 3] = {1, 2, 3, 200, 201, 202}, idx[2] = {1, 0};
    free(write_png("p.png", 2, 1, PNG_FORMAT_RGB_COLORMAP, idx, colormap, 2));
    t = first_sample("layout=nhwc", x);
    cr_assert_arr_eq(t.data, ((uint8_t[]){200, 201, 202, 1, 2, 3}), 6);
    free(t.data);
}

Test(data_images, jpeg_rgb_and_gray)
{
    uint8_t rgb[8 * 8 * 3], gray[8 * 8];
    for (int i = 0; i < 64; i++) {
        rgb[3 * i] = 200, rgb[3 * i + 1] = 100, rgb[3 * i + 2] = 50;
        gray[i] = 90;
    }
    free(write_jpeg("a.jpg", 8, 8, 3, rgb));
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_UINT8, IRB_DIMS(-1, 3, 8, 8));
    ol_ktensor t = first_sample(NULL, x);
    const uint8_t *p = t.data;
    for (int c = 0; c < 3; c++)   /* a flat color survives quality-100 JPEG within a level or two */
        cr_assert(abs((int)p[c * 64 + 27] - (int)rgb[c]) <= 2, "channel %d: %d", c, p[c * 64 + 27]);
    free(t.data);
    char *a = irb_path(dtb_dir, "a.jpg");
    remove(a);
    free(a);
    free(write_jpeg("b.JPEG", 8, 8, 1, gray));
    t = first_sample(NULL, x);
    p = t.data;
    cr_assert(abs((int)p[5] - 90) <= 1 && p[5] == p[64 + 5] && p[5] == p[128 + 5], "gray repeated: %d", p[5]);
    free(t.data);
}

Test(data_images, bilinear_resize_matches_pil)
{
    ol_error err = {0};
    /* Downscaling 4 -> 2 widens the triangle filter (PIL: [0,100,200,255] -> [71,209]). */
    uint8_t row[4] = {0, 100, 200, 255};
    ol_image img = {.pixels = malloc(4), .height = 1, .width = 4, .channels = 1};
    memcpy(img.pixels, row, 4);
    cr_assert_eq(ol_image_resize(&img, 1, 2, &err), OL_OK);
    cr_assert_eq(img.pixels[0], 71);
    cr_assert_eq(img.pixels[1], 209);
    ol_image_free(&img);
    /* Upscaling 2x2 -> 3x3 (PIL: 10 15 20 / 20 25 30 / 30 35 40). */
    img = (ol_image){.pixels = malloc(4), .height = 2, .width = 2, .channels = 1};
    memcpy(img.pixels, ((uint8_t[]){10, 20, 30, 40}), 4);
    cr_assert_eq(ol_image_resize(&img, 3, 3, &err), OL_OK);
    cr_assert_arr_eq(img.pixels, ((uint8_t[]){10, 15, 20, 20, 25, 30, 30, 35, 40}), 9);
    ol_image_free(&img);
}

Test(data_images, resize_shorter_side_then_center_crop)
{
    ol_error err = {0};
    /* 6x3 (w x h) with resize=2: the shorter side becomes 2 and the longer int(2 * 6 / 3) = 4. */
    ol_image img = {.pixels = calloc(18, 1), .height = 3, .width = 6, .channels = 1};
    cr_assert_eq(ol_image_resize_shorter(&img, 2, &err), OL_OK);
    cr_assert_eq(img.height, 2);
    cr_assert_eq(img.width, 4);
    ol_image_free(&img);
    /* Crop offsets round half to even: 5 -> 2 leaves 3 columns, offset round(1.5) = 2. */
    img = (ol_image){.pixels = malloc(5), .height = 1, .width = 5, .channels = 1};
    memcpy(img.pixels, ((uint8_t[]){0, 1, 2, 3, 4}), 5);
    cr_assert_eq(ol_image_center_crop(&img, 1, 2, &err), OL_OK);
    cr_assert_arr_eq(img.pixels, ((uint8_t[]){2, 3}), 2);
    ol_image_free(&img);
    img = (ol_image){.pixels = malloc(4), .height = 1, .width = 4, .channels = 1};
    memcpy(img.pixels, ((uint8_t[]){0, 1, 2, 3}), 4);
    cr_assert_eq(ol_image_center_crop(&img, 1, 3, &err), OL_OK);   /* offset round(0.5) = 0 */
    cr_assert_arr_eq(img.pixels, ((uint8_t[]){0, 1, 2}), 3);
    cr_assert_neq(ol_image_center_crop(&img, 1, 5, &err), OL_OK);
    cr_assert(strstr(err.message, "larger"), "%s", err.message);
    ol_image_free(&img);
}

Test(data_images, preprocessing_in_the_data_set)
{
    /* 8x4 gray image, resize=2 gives 4x2, crop=2 keeps columns 1-2. */
    uint8_t px[4 * 8];
    for (int i = 0; i < 32; i++)
        px[i] = (uint8_t)(i * 8);
    free(write_png("a.png", 8, 4, PNG_FORMAT_GRAY, px, NULL, 0));
    ol_image ref = {.pixels = malloc(32), .height = 4, .width = 8, .channels = 1};
    memcpy(ref.pixels, px, 32);
    ol_error err = {0};
    cr_assert_eq(ol_image_resize(&ref, 2, 4, &err), OL_OK);
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 2));
    ol_ktensor t = first_sample("resize=2,crop=2,scale=1", x);
    for (int y = 0; y < 2; y++)
        for (int xx = 0; xx < 2; xx++)
            cr_assert_float_eq(((float *)t.data)[y * 2 + xx], ref.pixels[y * 4 + xx + 1], 0);
    free(t.data);
    ol_image_free(&ref);
}

Test(data_images, images_of_other_sizes_end_the_batch)
{
    uint8_t px[3 * 3] = {0};
    free(write_png("a.png", 2, 2, PNG_FORMAT_GRAY, px, NULL, 0));
    free(write_png("b.png", 2, 2, PNG_FORMAT_GRAY, px, NULL, 0));
    free(write_png("c.png", 3, 3, PNG_FORMAT_GRAY, px, NULL, 0));
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, -1, -1));
    ol_dataset *ds = dtb_open(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert_eq(ol_dataset_size(ds), 3);
    ol_ktensor t;
    size_t got;
    cr_assert_eq(ol_dataset_next(ds, 8, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(got, 2);
    cr_assert_eq(t.dims[3], 2);
    free(t.data);
    cr_assert_eq(ol_dataset_next(ds, 8, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(got, 1);
    cr_assert_eq(t.dims[3], 3);
    free(t.data);
    ol_dataset_close(ds);
}

Test(data_images, errors_name_the_file)
{
    uint8_t px[3 * 3] = {0};
    char *a = write_png("a.png", 3, 3, PNG_FORMAT_GRAY, px, NULL, 0);
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 2));
    ol_dataset *ds = dtb_open(dtb_dir, NULL, NULL, 0, &x, 1);
    ol_ktensor t;
    size_t got;
    cr_assert_neq(ol_dataset_next(ds, 1, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, a) && strstr(irb_err.message, "3x3") && strstr(irb_err.message, "2x2"),
              "%s", irb_err.message);
    ol_dataset_close(ds);
    /* Crop larger than the image. */
    ds = dtb_open(dtb_dir, NULL, "crop=2x2,resize=1", 0, &x, 1);
    cr_assert_neq(ol_dataset_next(ds, 1, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, a) && strstr(irb_err.message, "larger"), "%s", irb_err.message);
    ol_dataset_close(ds);
    /* Refused when opened: a crop the input cannot take, or channels that do not match. */
    const char *msg = dtb_open_fails(dtb_dir, NULL, "crop=3", 0, &x, 1);
    cr_assert(strstr(msg, "crops to 3x3") && strstr(msg, "2x2"), "%s", msg);
    msg = dtb_open_fails(dtb_dir, NULL, "channels=rgb", 0, &x, 1);
    cr_assert(strstr(msg, "channels=rgb"), "%s", msg);
    ol_value *flat = dtb_input(dtb_model->graph, "flat", OL_FLOAT, IRB_DIMS(-1, 4));
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &flat, 1);
    cr_assert(strstr(msg, "cannot take images"), "%s", msg);
    /* Corrupt and truncated files. */
    dtb_write_bytes(a, "\x89PNG\r\n\x1a\n garbage", 17);
    ds = dtb_open(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert_neq(ol_dataset_next(ds, 1, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, a) && strstr(irb_err.message, "bad PNG"), "%s", irb_err.message);
    ol_dataset_close(ds);
    remove(a);
    uint8_t rgb[16 * 16 * 3];
    for (size_t i = 0; i < sizeof rgb; i++)
        rgb[i] = (uint8_t)(i * 7);
    char *j = write_jpeg("j.jpg", 16, 16, 3, rgb);
    ol_bytes bytes = irb_slurp(j);
    dtb_write_bytes(j, bytes.data, bytes.size / 2);
    free(bytes.data);
    ol_value *x16 = dtb_input(dtb_model->graph, "x16", OL_FLOAT, IRB_DIMS(-1, 3, 16, 16));
    ds = dtb_open(dtb_dir, NULL, NULL, 0, &x16, 1);
    cr_assert_neq(ol_dataset_next(ds, 1, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, j) && strstr(irb_err.message, "bad JPEG"), "%s", irb_err.message);
    ol_dataset_close(ds);
    dtb_write_bytes(j, "not an image", 12);
    ds = dtb_open(dtb_dir, NULL, NULL, 0, &x16, 1);
    cr_assert_neq(ol_dataset_next(ds, 1, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, "neither a PNG nor a JPEG"), "%s", irb_err.message);
    ol_dataset_close(ds);
    free(a);
    free(j);
}
