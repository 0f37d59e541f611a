/* Executor internals shared by its files: compiled graphs, frames, storage and the memory plan. */
#ifndef OL_EXEC_INTERNAL_H
#define OL_EXEC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/op.h"
#include "exec/session.h"

#define OL_NO_SLOT UINT32_MAX
#define OL_MAX_SUBGRAPH_DEPTH 16

typedef enum slot_kind {
    SLOT_UNUSED = 0,
    SLOT_CONST,       /* initializer: a view of the model's tensor */
    SLOT_INPUT,       /* graph input: a view of the caller's data */
    SLOT_OUTER,       /* subgraph reference to an enclosing frame's value */
    SLOT_ACTIVATION,  /* produced by a node */
} slot_kind;

typedef struct slot_info {
    slot_kind kind;
    const ol_value *value;
    uint32_t last_step;        /* last step reading it; UINT32_MAX for graph outputs */
    bool is_output;
} slot_info;

typedef struct exec_step {
    const ol_node *node;
    const ol_op_def *def;
    const char *label;         /* op type for profiles and messages ("Conv+Relu" when fused) */
    char *owned_label;         /* a fused step's label, owned */
    uint32_t *inputs;          /* slot per input, OL_NO_SLOT when omitted */
    uint32_t *outputs;         /* slot per output, OL_NO_SLOT when omitted */
    size_t n_inputs, n_outputs;   /* the node's, unless fusion added a residual input */
    ol_op_fusion *fusion;      /* NULL unless activations were fused into this step */
    uint32_t *release;         /* slots whose last reader is this step */
    size_t n_release;
} exec_step;

/* What a step's op derived once from its constant inputs (ol_op_prepared): transformed or folded
 * weights, kept for the session's lifetime. */
typedef struct exec_prepared {
    void *data;
    void (*destroy)(void *data);
} exec_prepared;

typedef struct exec_graph {
    const ol_graph *graph;
    size_t n_slots;
    slot_info *slots;
    exec_step *steps;
    size_t n_steps;
    exec_prepared *prepared;   /* one per step */
} exec_graph;

/* Where a tensor's bytes live. Aliases (Reshape, Identity) share their root's storage. */
typedef enum storage_kind { STORAGE_NONE = 0, STORAGE_HEAP, STORAGE_ARENA, STORAGE_BORROWED } storage_kind;

typedef struct storage {
    storage_kind kind;
    void *data;
    size_t size;
    int refs;                  /* slots sharing it */
    uint32_t plan_index;       /* which recorded allocation, for arena storage and recording */
} storage;

typedef struct slot_rt {
    ol_ktensor t;
    storage own;               /* storage this slot allocated (if any) */
    storage *st;               /* storage the bytes live in (own, another slot's, or NULL) */
    bool set;
} slot_rt;

typedef struct frame frame;
struct frame {
    const exec_graph *eg;
    slot_rt *slots;
    frame *parent;
    int depth;
    bool planned;              /* main graph: allocations go through the memory plan */
    bool borrow_outputs;       /* main graph outputs are planned in the arena too: lent, not handed over */
};

/* The memory plan: allocations are recorded in the order a run makes them; the plan gives each an
 * offset in one arena such that allocations alive at the same time never overlap. A later run that
 * makes the same allocations (same input shapes) uses the arena and never calls malloc. */
typedef struct alloc_record {
    size_t size;
    uint32_t first, last;      /* steps between which the bytes are alive */
    size_t offset;
} alloc_record;

typedef struct memory_plan {
    alloc_record *planned;
    size_t n_planned;
    alloc_record *recording;
    size_t n_recording, cap_recording;
    uint8_t *arena;
    size_t arena_size;
    size_t activation_bytes;
    size_t cursor;             /* next allocation index in this run */
    size_t fallbacks;          /* allocations of this run that missed the plan */
    bool valid;
} memory_plan;

/* Assigns offsets (largest first, lowest gap among overlapping lifetimes) and returns the arena
 * size. */
size_t ol_plan_offsets(alloc_record *records, size_t n);

struct ol_session {
    const ol_model *model;
    ol_model *lowered;         /* owned copy with QDQ groups lowered (session_qdq.c), or NULL */
    ol_session_options options;
    exec_graph *main;
    exec_graph **subgraphs;    /* compiled subgraphs, looked up by graph pointer */
    size_t n_subgraphs;
    memory_plan plan;
    void *scratch[OL_MAX_SUBGRAPH_DEPTH + 1];
    size_t scratch_size[OL_MAX_SUBGRAPH_DEPTH + 1];
    size_t scratch_peak;
    ol_op_time *op_times;
    size_t n_op_times;
    uint32_t current_step;
};

struct ol_op_ctx {
    ol_session *session;
    frame *fr;
    const exec_step *step;
    const ol_ktensor **inputs; /* views per node input (NULL when omitted) */
    size_t n_inputs;
    slot_rt *discard;          /* storage for omitted outputs, freed after the step */
    ol_error *err;
};

/* Compile-time fusion (fuse.c): chains of nodes that run as one step. A chain's step takes the
 * place of its last node (`anchor`), where every input of the chain is available; the other
 * nodes get no step and the values between them no slot. */
typedef struct exec_chain {
    const ol_node *head;       /* the node whose op runs (Conv, or Sigmoid for a bare SiLU) */
    const ol_node *anchor;     /* the chain's last node */
    const ol_op_def *def;      /* the op that runs the chain */
    char label[48];            /* for profiles: the fused op types ("Pad+Conv+Mul+Add+Clip") */
    ol_op_fusion fusion;
    const ol_value *sum;       /* residual input, or NULL */
    const ol_value *scale;     /* per-channel constants a Mul and an Add apply to Conv's result */
    const ol_value *shift;
    const ol_node *pad;        /* a zero Pad before Conv whose padding Conv takes over, or NULL */
    const ol_value *out;       /* the value the chain produces */
    const ol_value *inner[6];  /* values that no longer exist at run time */
    size_t n_inner;
} exec_chain;

/* chains[i] is the chain anchored at graph->nodes[i] (NULL for none); absorbed[i] is true for nodes
 * a chain runs. Both arrays have graph->n_nodes entries; *chains and *absorbed are NULL when there is
 * nothing to fuse. */
ol_status ol_exec_find_chains(const ol_graph *graph, exec_chain ***chains, bool **absorbed, ol_error *err);
void ol_exec_free_chains(exec_chain **chains, bool *absorbed, size_t n_nodes);

/* The tensor behind v when it cannot change during the session: an initializer that is not also a
 * graph input (inputs may override theirs), or a Constant node's value, possibly through Identity
 * nodes; else NULL. */
const ol_tensor *ol_exec_fixed_constant(const ol_value *v);

ol_status ol_exec_compile(ol_session *session, const ol_graph *graph, exec_graph **out, ol_error *err);
void ol_exec_graph_destroy(exec_graph *eg);
const exec_graph *ol_exec_find_subgraph(const ol_session *session, const ol_graph *graph);

/* Runs a frame whose input slots are bound; outputs stay in their slots. */
ol_status ol_exec_run_frame(ol_session *session, frame *fr, ol_error *err);
void ol_exec_frame_release_all(frame *fr);
/* Moves (or copies) slot `s` into a caller-owned heap tensor. */
ol_status ol_exec_take_output(frame *fr, uint32_t s, ol_ktensor *out, ol_error *err);

#endif
