/* The preprocessing text form: defaults, every key, and errors quoting the bad key or value. */
#include <criterion/criterion.h>
#include <string.h>

#include "data/dataset.h"
#include "data/preprocess.h"

Test(data_preprocess, defaults)
{
    ol_error err = {0};
    ol_preprocess pp;
    cr_assert_eq(ol_preprocess_parse(NULL, &pp, &err), OL_OK);
    cr_assert_float_eq(pp.scale, 1.0f / 255.0f, 1e-9);
    cr_assert_eq(pp.resize, 0);
    cr_assert_eq(pp.crop_h, 0);
    cr_assert_eq(pp.n_mean, 0);
    cr_assert_eq(pp.layout, OL_LAYOUT_AUTO);
    cr_assert_eq(pp.channels, OL_CHANNELS_AUTO);
    cr_assert_eq(ol_preprocess_parse("", &pp, &err), OL_OK);
    cr_assert_float_eq(pp.scale, 1.0f / 255.0f, 1e-9);
}

Test(data_preprocess, every_key)
{
    ol_error err = {0};
    ol_preprocess pp;
    cr_assert_eq(ol_preprocess_parse("resize=256,crop=224,scale=0.5,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,"
                                     "layout=nhwc,channels=bgr", &pp, &err), OL_OK, "%s", err.message);
    cr_assert_eq(pp.resize, 256);
    cr_assert_eq(pp.crop_h, 224);
    cr_assert_eq(pp.crop_w, 224);
    cr_assert_float_eq(pp.scale, 0.5f, 0);
    cr_assert_eq(pp.n_mean, 3);
    cr_assert_float_eq(pp.mean[2], 0.406f, 1e-7);
    cr_assert_eq(pp.n_std, 3);
    cr_assert_float_eq(pp.std[1], 0.224f, 1e-7);
    cr_assert_eq(pp.layout, OL_LAYOUT_NHWC);
    cr_assert_eq(pp.channels, OL_CHANNELS_BGR);
    cr_assert_eq(ol_preprocess_parse("crop=100x50,channels=gray,layout=nchw,mean=0.5", &pp, &err), OL_OK);
    cr_assert_eq(pp.crop_h, 100);
    cr_assert_eq(pp.crop_w, 50);
    cr_assert_eq(pp.channels, OL_CHANNELS_GRAY);
    cr_assert_eq(pp.layout, OL_LAYOUT_NCHW);
    cr_assert_eq(pp.n_mean, 1);
}

static const char *fails(const char *text)
{
    static ol_error err;
    ol_preprocess pp;
    ol_error_clear(&err);
    cr_assert_neq(ol_preprocess_parse(text, &pp, &err), OL_OK, "'%s' should be refused", text);
    return err.message;
}

Test(data_preprocess, errors_quote_key_or_value)
{
    cr_assert(strstr(fails("resise=256"), "unknown key 'resise'"));
    cr_assert(strstr(fails("resize=-3"), "bad value '-3' for 'resize'"));
    cr_assert(strstr(fails("resize=12abc"), "'12abc'"));
    cr_assert(strstr(fails("crop=10x"), "'10x' for 'crop'"));
    cr_assert(strstr(fails("scale=0"), "'0' for 'scale'"));
    cr_assert(strstr(fails("mean=1:2:3:4:5"), "'1:2:3:4:5' for 'mean'"));
    cr_assert(strstr(fails("mean=1::2"), "'1::2'"));
    cr_assert(strstr(fails("std=1:0:1"), "none zero"));
    cr_assert(strstr(fails("layout=chw"), "nchw or nhwc"));
    cr_assert(strstr(fails("channels=rgba"), "rgb, bgr or gray"));
    cr_assert(strstr(fails("scale"), "'scale' is not KEY=VALUE"));
}

Test(data_preprocess, layout_from_input_shape)
{
    ol_error err = {0};
    ol_preprocess pp;
    ol_pixel_layout l;
    cr_assert_eq(ol_preprocess_parse(NULL, &pp, &err), OL_OK);
    cr_assert_eq(ol_preprocess_layout(&pp, "x", 4, (int64_t[]){-1, 3, 224, 224}, &l, &err), OL_OK);
    cr_assert_not(l.channels_last);
    cr_assert_eq(l.channels, 3);
    cr_assert_eq(l.height, 224);
    cr_assert_eq(ol_preprocess_layout(&pp, "x", 4, (int64_t[]){-1, 224, 200, 3}, &l, &err), OL_OK);
    cr_assert(l.channels_last);
    cr_assert_eq(l.width, 200);
    cr_assert_eq(ol_preprocess_layout(&pp, "x", 4, (int64_t[]){-1, 3, 3, 3}, &l, &err), OL_OK);
    cr_assert_not(l.channels_last, "NCHW when ambiguous");
    cr_assert_eq(ol_preprocess_parse("layout=nhwc", &pp, &err), OL_OK);
    cr_assert_eq(ol_preprocess_layout(&pp, "x", 4, (int64_t[]){-1, 3, 3, 3}, &l, &err), OL_OK);
    cr_assert(l.channels_last);
    cr_assert_neq(ol_preprocess_layout(&pp, "x", 2, (int64_t[]){-1, 784}, &l, &err), OL_OK);
    cr_assert(strstr(err.message, "rank-4"), "%s", err.message);
}

Test(data_preprocess, normalize_per_channel)
{
    ol_error err = {0};
    ol_preprocess pp;
    cr_assert_eq(ol_preprocess_parse("scale=1,mean=1:2,std=2:4", &pp, &err), OL_OK);
    uint8_t src[8] = {1, 3, 5, 7, 2, 6, 10, 14};   /* two channels of 4 pixels, channel-first */
    float dst[8];
    ol_preprocess_normalize(&pp, src, 8, 2, 4, OL_FLOAT, dst);
    float want[8] = {0, 1, 2, 3, 0, 1, 2, 3};
    for (int i = 0; i < 8; i++)
        cr_assert_float_eq(dst[i], want[i], 0, "pixel %d", i);
    uint8_t hwc[4] = {1, 2, 3, 6};   /* channel-last: c alternates */
    ol_preprocess_normalize(&pp, hwc, 4, 2, 1, OL_FLOAT, dst);
    cr_assert_float_eq(dst[1], 0, 0);
    cr_assert_float_eq(dst[2], 1, 0);
    cr_assert_float_eq(dst[3], 1, 0);
}
