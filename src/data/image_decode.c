/* PNG and JPEG decoding. Both libraries report errors by longjmp from a callback: the message is
 * kept in a struct next to the jump buffer and turned into an ol_error naming the file. */
#include <errno.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>   /* after stdio.h and stddef.h, which it needs and does not include */
#include <jerror.h>
#include <png.h>

#include "data/image.h"

/* Larger images are refused rather than allocated (PIL refuses from 179 M pixels). */
#define MAX_PIXELS ((int64_t)1 << 28)

void ol_image_free(ol_image *image)
{
    free(image->pixels);
    image->pixels = NULL;
}

static ol_status check_size(const char *path, int64_t height, int64_t width, ol_error *err)
{
    if (height < 1 || width < 1 || height * width > MAX_PIXELS)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "'%s': a %lldx%lld image (at most %lld pixels are read)", path,
                       (long long)width, (long long)height, (long long)MAX_PIXELS);
    return OL_OK;
}

/* ---- PNG ---- */

typedef struct png_failure {
    jmp_buf jump;
    char message[256];
} png_failure;

static void png_on_error(png_structp png, png_const_charp message)
{
    png_failure *f = png_get_error_ptr(png);
    snprintf(f->message, sizeof f->message, "%s", message);
    longjmp(f->jump, 1);
}

static void png_on_warning(png_structp png, png_const_charp message)
{
    (void)png, (void)message;   /* benign (unknown chunks, bad gamma): PIL ignores them too */
}

static ol_status read_png(const char *path, FILE *file, ol_image *out, ol_error *err)
{
    png_failure failure = {0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    volatile ol_status st = OL_OK;
    if (setjmp(failure.jump)) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return st != OL_OK ? st : ol_fail(err, OL_ERR_PARSE, "'%s': bad PNG: %s", path, failure.message);
    }
    png_init_io(png, file);
    png_read_info(png, info);
    int64_t width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if ((st = check_size(path, height, width, err)) != OL_OK)
        png_error(png, "size");
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_strip_16(png);
    if (color & PNG_COLOR_MASK_ALPHA)
        png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if ((channels != 1 && channels != 3) || row_bytes != (size_t)width * (size_t)channels) {
        st = ol_fail(err, OL_ERR_UNSUPPORTED, "'%s': PNG of color type %d, depth %d decodes to %d channels",
                     path, color, depth, channels);
        png_error(png, "channels");
    }
    pixels = malloc((size_t)height * row_bytes);
    rows = malloc((size_t)height * sizeof *rows);
    if (!pixels || !rows) {
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory for '%s'", path);
        png_error(png, "memory");
    }
    for (int64_t y = 0; y < height; y++)
        rows[y] = pixels + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *out = (ol_image){.pixels = pixels, .height = height, .width = width, .channels = channels};
    return OL_OK;
}

/* ---- JPEG ---- */

typedef struct jpeg_failure {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_failure;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_failure *f = (jpeg_failure *)cinfo->err;
    cinfo->err->format_message(cinfo, f->message);
    longjmp(f->jump, 1);
}

/* Warnings are ignored (as PIL does) except a file cut short, which PIL also refuses. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF)
        jpeg_on_error(cinfo);
}

static ol_status read_jpeg(const char *path, FILE *file, ol_image *out, ol_error *err)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    cinfo.err = jpeg_std_error(&failure.mgr);
    failure.mgr.error_exit = jpeg_on_error;
    failure.mgr.emit_message = jpeg_on_message;
    uint8_t *volatile pixels = NULL;
    volatile ol_status st = OL_OK;
    if (setjmp(failure.jump)) {
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        return st != OL_OK ? st : ol_fail(err, OL_ERR_PARSE, "'%s': bad JPEG: %s", path, failure.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, file);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        st = ol_fail(err, OL_ERR_UNSUPPORTED, "'%s': CMYK JPEGs are not supported; convert it to RGB", path);
        longjmp(failure.jump, 1);
    }
    cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    if ((st = check_size(path, cinfo.image_height, cinfo.image_width, err)) != OL_OK)
        longjmp(failure.jump, 1);
    jpeg_start_decompress(&cinfo);
    int channels = cinfo.output_components;
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)channels;
    pixels = malloc((size_t)cinfo.output_height * row_bytes);
    if (!pixels) {
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory for '%s'", path);
        longjmp(failure.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *out = (ol_image){.pixels = pixels, .height = cinfo.output_height, .width = cinfo.output_width,
                      .channels = channels};
    jpeg_destroy_decompress(&cinfo);
    return OL_OK;
}

ol_status ol_image_read(const char *path, ol_image *out, ol_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *file = fopen(path, "rb");
    if (!file)
        return ol_fail(err, OL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    uint8_t magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, file);
    rewind(file);
    ol_status st;
    if (got == 8 && png_sig_cmp(magic, 0, 8) == 0)
        st = read_png(path, file, out, err);
    else if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF)
        st = read_jpeg(path, file, out, err);
    else
        st = ol_fail(err, OL_ERR_PARSE, "'%s': neither a PNG nor a JPEG file (by its first bytes)", path);
    fclose(file);
    return st;
}
