/* Shared machinery of shape inference: the per-run session, the per-node context that each operator's
 * inference function works through, and the helpers every family of operators needs.
 *
 * An inference function reads its node's input types (never writes them), fills ctx->out[i] for the
 * outputs it can infer, and may record the known contents of small integer outputs (shape arithmetic).
 * The driver then merges each inferred type into the output value, checking it against what the value
 * already declares. Working dims (ol_dim arrays on the stack) borrow their `param` strings from input
 * types or the session's string pool; the infer_out_* setters copy them into owned storage.
 *
 * Every external name here starts with infer_: the core is one static library, where two helpers of
 * the same name in different folders would not always be reported. */
#ifndef OL_SHAPE_INFER_INTERNAL_H
#define OL_SHAPE_INFER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"
#include "onnxlite/status.h"

/* Opset assumed for a default-domain node whose model imports no default opset. */
#define OL_SHAPE_LATEST_OPSET 24

/* ---------------------------------------------------------------------------------------------- */
/* Known contents of small integer tensors (data propagation). */

typedef enum sym_kind {
    SYM_UNKNOWN = 0,
    SYM_VALUE,   /* `value` is exact */
    SYM_PARAM,   /* equal to the dimension named `param`, so >= 0 */
} sym_kind;

typedef struct sym_int {
    sym_kind kind;
    int64_t value;
    const char *param;  /* interned in the session's pool */
} sym_int;

/* Shape tensors are short: a rank's worth of elements is all data propagation needs. */
#define KNOWN_MAX_ELEMS OL_MAX_RANK

typedef struct known_ints {
    int rank;   /* 0 (scalar) or 1 */
    size_t n;
    sym_int v[KNOWN_MAX_ELEMS];
} known_ints;

typedef struct known_map known_map;
typedef struct string_pool string_pool;

typedef struct infer_session {
    ol_model *model;
    ol_error *err;
    known_map *known;
    string_pool *pool;
} infer_session;

known_map *infer_known_map_create(void);
void infer_known_map_destroy(known_map *map);
const known_ints *infer_known_map_get(const known_map *map, const ol_value *value);
bool infer_known_map_put(known_map *map, const ol_value *value, const known_ints *contents);

string_pool *infer_string_pool_create(void);
void infer_string_pool_destroy(string_pool *pool);
/* Stable copy of `s` owned by the pool (the same pointer for equal strings), NULL on OOM. */
const char *infer_string_pool_intern(string_pool *pool, const char *s);

/* ---------------------------------------------------------------------------------------------- */
/* Per-node context. */

typedef struct infer_ctx {
    infer_session *session;
    ol_node *node;
    ol_error *err;
    int64_t opset;           /* the node's resolved opset */
    ol_type *out;            /* node->n_outputs inferred types, initially unknown */
    known_ints *out_known;   /* node->n_outputs entries */
    bool *out_has_known;
} infer_ctx;

typedef ol_status (*infer_fn)(infer_ctx *c);

/* The inference function of a default-domain op, or NULL when the op is not handled. */
infer_fn infer_lookup(const char *op_type);

/* Runs inference over one graph (and, through the control-flow ops, its subgraphs). */
ol_status infer_graph(infer_session *s, ol_graph *graph);

/* "node 'name' (Op)"-prefixed OL_ERR_INVALID. */
ol_status infer_fail(infer_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ol_status infer_nomem(infer_ctx *c);
/* Name to show for the node: its name, or its first output's name when it has none. */
const char *infer_node_label(const ol_node *node);

/* ---------------------------------------------------------------------------------------------- */
/* Inputs. A type is "known" when it is a tensor type; rank -1 means the rank is unknown. */

size_t infer_in_count(const infer_ctx *c);
bool infer_in_present(const infer_ctx *c, size_t i);
ol_value *infer_in_value(const infer_ctx *c, size_t i);
/* The input's type, following outer-scope references; NULL when the input is absent. */
const ol_type *infer_in_type(const infer_ctx *c, size_t i);
bool infer_in_is_tensor(const infer_ctx *c, size_t i);
ol_dtype infer_in_elem(const infer_ctx *c, size_t i);
int infer_in_rank(const infer_ctx *c, size_t i);
const ol_dim *infer_in_dims(const infer_ctx *c, size_t i);
/* Fails naming the node when input i is absent. */
ol_status infer_in_require(infer_ctx *c, size_t i);
const ol_value *infer_value_type_source(const ol_value *value);

/* Contents of input i when it is a small integer tensor that is constant or was computed from shapes. */
bool infer_in_known(const infer_ctx *c, size_t i, known_ints *out);
/* Like infer_in_known, but an integer or bool scalar or short vector of known length with nothing known
 * about it still counts, as all SYM_UNKNOWN, so that what is known around it propagates. */
bool infer_in_known_partial(const infer_ctx *c, size_t i, known_ints *out);
/* Constant integer contents of input i (every element exact); fails on a non-integer constant. */
bool infer_in_const_ints(const infer_ctx *c, size_t i, int64_t *values, size_t max, size_t *n);
/* Constant float/double contents of input i, up to `max` elements. */
bool infer_in_const_floats(const infer_ctx *c, size_t i, double *values, size_t max, size_t *n);

/* ---------------------------------------------------------------------------------------------- */
/* Outputs. */

bool infer_out_present(const infer_ctx *c, size_t o);
/* Tensor type of the given rank (-1: unknown) with unknown dims. */
ol_status infer_out_tensor(infer_ctx *c, size_t o, ol_dtype elem, int rank);
/* Tensor type with the given dims (params are copied). */
ol_status infer_out_tensor_dims(infer_ctx *c, size_t o, ol_dtype elem, int rank, const ol_dim *dims);
/* Copy of input i's type, with elem replaced unless it is OL_UNDEFINED. */
ol_status infer_out_like_input(infer_ctx *c, size_t o, size_t i, ol_dtype elem);
/* Input i's shape with exactly `elem` (OL_UNDEFINED: unknown element type). */
ol_status infer_out_shape_of_input(infer_ctx *c, size_t o, size_t i, ol_dtype elem);
void infer_out_set_known(infer_ctx *c, size_t o, const known_ints *contents);

/* ---------------------------------------------------------------------------------------------- */
/* Attributes: wrong attribute kinds are errors naming the node, absent ones give the default. */

ol_status infer_attr_int(infer_ctx *c, const char *name, int64_t dflt, int64_t *out);
ol_status infer_attr_float(infer_ctx *c, const char *name, float dflt, float *out);
/* *values is NULL and *n 0 when absent. */
ol_status infer_attr_ints(infer_ctx *c, const char *name, const int64_t **values, size_t *n);
ol_status infer_attr_floats(infer_ctx *c, const char *name, const float **values, size_t *n);
/* *s is `dflt` when absent. */
ol_status infer_attr_string(infer_ctx *c, const char *name, const char *dflt, const char **s, size_t *len);
bool infer_bytes_equal(const char *s, size_t len, const char *literal);
/* Fails unless the attribute is absent (for inputs that replaced attributes in a later opset). */
ol_status infer_attr_forbidden(infer_ctx *c, const char *name, const char *why);

/* ---------------------------------------------------------------------------------------------- */
/* Axes and dims. */

/* Maps axis in [-rank, rank-1] to [0, rank-1]; fails naming `what` otherwise. */
ol_status infer_axis_normalize(infer_ctx *c, int64_t axis, int rank, const char *what, int *out);
/* Normalizes a list of axes into `mask` (rank entries); duplicates are errors. */
ol_status infer_axes_to_mask(infer_ctx *c, const int64_t *axes, size_t n, int rank, const char *what,
                             bool *mask);

/* The `axes` of ops that moved them from an attribute to input `input` at opset `input_since`.
 * *given: the node names axes at all; *known: their values are known (constant or propagated);
 * *count: how many there are (-1 if not even that is known). Using the form of the other opset range
 * is an error. */
typedef struct axes_arg {
    bool given, known;
    int64_t count;
    int64_t values[OL_MAX_RANK];
} axes_arg;
ol_status infer_read_axes(infer_ctx *c, int64_t input_since, size_t input, axes_arg *axes);

static inline bool dim_known(const ol_dim *d) { return d->value >= 0; }
static inline bool dim_symbolic(const ol_dim *d) { return d->value < 0 && d->param; }
static inline ol_dim dim_of(int64_t v) { return (ol_dim){.value = v, .param = NULL}; }
static inline ol_dim dim_unknown(void) { return (ol_dim){.value = -1, .param = NULL}; }
/* The same dimension for sure: equal values or equal symbols. */
bool infer_dim_same(const ol_dim *a, const ol_dim *b);
/* Two dims that must be equal: fails on two different values, returns the more precise one. */
ol_status infer_dim_unify(infer_ctx *c, const ol_dim *a, const ol_dim *b, const char *what, ol_dim *out);

/* Overflow-checked arithmetic; the error names the node. */
ol_status infer_checked_add(infer_ctx *c, int64_t a, int64_t b, int64_t *out);
ol_status infer_checked_sub(infer_ctx *c, int64_t a, int64_t b, int64_t *out);
ol_status infer_checked_mul(infer_ctx *c, int64_t a, int64_t b, int64_t *out);

/* Symbolic product of dims: value * product(params), or unknown. */
typedef struct dim_product {
    int64_t value;
    int n_params;
    const char *params[OL_MAX_RANK];
    bool unknown;
} dim_product;
ol_status infer_dims_product(infer_ctx *c, const ol_dim *dims, int from, int to, dim_product *p);
/* The product as one dim when it is a number or a single symbol. */
ol_dim infer_dim_product_as_dim(const dim_product *p);

/* Numpy multidirectional broadcast of a and b into out (rank max(ra, rb)). */
ol_status infer_broadcast_dims(infer_ctx *c, const ol_dim *a, int ra, const ol_dim *b, int rb, ol_dim *out,
                               int *rout);
/* Broadcasts the shapes of the given inputs (absent ones skipped); *rank -1 when any rank is unknown. */
ol_status infer_broadcast_inputs(infer_ctx *c, const size_t *inputs, size_t n, ol_dim *out, int *rank);
/* The element type shared by the given inputs; fails when two known ones differ. */
ol_status infer_common_elem(infer_ctx *c, const size_t *inputs, size_t n, ol_dtype *out);

/* Dim to/from a known element. */
sym_int infer_sym_from_dim(infer_ctx *c, const ol_dim *d);
ol_dim infer_dim_from_sym(const sym_int *s);

/* ---------------------------------------------------------------------------------------------- */
/* Operator families (one file each); the dispatch table in infer_table.c names these. */

/* infer_elementwise.c */
ol_status infer_unary(infer_ctx *c);
ol_status infer_unary_to_bool(infer_ctx *c);
ol_status infer_softmax(infer_ctx *c);
ol_status infer_binary(infer_ctx *c);
ol_status infer_pow(infer_ctx *c);
ol_status infer_prelu(infer_ctx *c);
ol_status infer_compare(infer_ctx *c);
ol_status infer_logical(infer_ctx *c);
ol_status infer_not(infer_ctx *c);
ol_status infer_variadic(infer_ctx *c);
ol_status infer_where(infer_ctx *c);

/* infer_conv_pool.c */
ol_status infer_conv(infer_ctx *c);
ol_status infer_conv_integer(infer_ctx *c);
ol_status infer_qlinear_conv(infer_ctx *c);
ol_status infer_conv_transpose(infer_ctx *c);
ol_status infer_pool(infer_ctx *c);
ol_status infer_global_pool(infer_ctx *c);
ol_status infer_deform_conv(infer_ctx *c);
ol_status infer_grid_sample(infer_ctx *c);
ol_status infer_max_unpool(infer_ctx *c);

/* infer_norm.c */
ol_status infer_batch_norm(infer_ctx *c);
ol_status infer_same_as_first(infer_ctx *c);
ol_status infer_layer_norm(infer_ctx *c);
ol_status infer_group_norm(infer_ctx *c);

/* infer_matmul.c */
ol_status infer_gemm(infer_ctx *c);
ol_status infer_matmul(infer_ctx *c);
ol_status infer_matmul_integer(infer_ctx *c);
ol_status infer_qlinear_matmul(infer_ctx *c);
ol_status infer_einsum(infer_ctx *c);
ol_status infer_det(infer_ctx *c);

/* infer_reshape.c */
ol_status infer_reshape(infer_ctx *c);
ol_status infer_flatten(infer_ctx *c);
ol_status infer_squeeze(infer_ctx *c);
ol_status infer_unsqueeze(infer_ctx *c);
ol_status infer_expand(infer_ctx *c);
ol_status infer_tile(infer_ctx *c);

/* infer_layout.c */
ol_status infer_transpose(infer_ctx *c);
ol_status infer_concat(infer_ctx *c);
ol_status infer_split(infer_ctx *c);
ol_status infer_pad(infer_ctx *c);
ol_status infer_depth_to_space(infer_ctx *c);
ol_status infer_space_to_depth(infer_ctx *c);
ol_status infer_center_crop_pad(infer_ctx *c);

/* infer_slice.c */
ol_status infer_slice(infer_ctx *c);
ol_status infer_shape(infer_ctx *c);
ol_status infer_size(infer_ctx *c);
/* ONNX Slice's clamping of one axis: the number of elements selected from a dim of size `dim`. */
ol_status infer_slice_length(infer_ctx *c, int64_t dim, int64_t start, int64_t end, int64_t step,
                             int64_t *first, int64_t *len);

/* infer_gather.c */
ol_status infer_gather(infer_ctx *c);
ol_status infer_gather_elements(infer_ctx *c);
ol_status infer_gather_nd(infer_ctx *c);
ol_status infer_scatter(infer_ctx *c);
ol_status infer_one_hot(infer_ctx *c);
ol_status infer_nonzero(infer_ctx *c);
ol_status infer_topk(infer_ctx *c);
ol_status infer_nonmax_suppression(infer_ctx *c);
ol_status infer_compress(infer_ctx *c);
ol_status infer_unique(infer_ctx *c);

/* infer_reduce.c */
ol_status infer_reduce(infer_ctx *c);
ol_status infer_arg_reduce(infer_ctx *c);
ol_status infer_loss(infer_ctx *c);

/* infer_resize.c */
ol_status infer_resize(infer_ctx *c);
ol_status infer_upsample(infer_ctx *c);

/* infer_generators.c */
ol_status infer_constant(infer_ctx *c);
ol_status infer_constant_of_shape(infer_ctx *c);
ol_status infer_range(infer_ctx *c);
ol_status infer_eye_like(infer_ctx *c);
ol_status infer_random_like(infer_ctx *c);
ol_status infer_random(infer_ctx *c);
ol_status infer_sequence_length(infer_ctx *c);

/* infer_cast.c */
ol_status infer_cast(infer_ctx *c);
ol_status infer_cast_like(infer_ctx *c);
ol_status infer_identity(infer_ctx *c);
ol_status infer_dropout(infer_ctx *c);

/* infer_quant.c */
ol_status infer_quantize_linear(infer_ctx *c);
ol_status infer_dequantize_linear(infer_ctx *c);
ol_status infer_dynamic_quantize_linear(infer_ctx *c);

/* infer_control.c */
ol_status infer_if(infer_ctx *c);
ol_status infer_loop(infer_ctx *c);

/* infer_recurrent.c */
ol_status infer_recurrent(infer_ctx *c);

/* infer_attention.c */
ol_status infer_attention(infer_ctx *c);

#endif
