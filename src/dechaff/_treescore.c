/* Scores rows with boosted trees packed as one array of node records (trees.py packs
 * them: TreeEnsemble._packed).
 *
 * score(X, nodes, roots, out): for each row, out[row] += the leaf value of every tree,
 * added in tree order, in float64. That is the arithmetic of scikit-learn's compiled
 * predictors, so the scores are the same bit for bit, without importing scikit-learn
 * at run time. A split sends a row left when its value is at most the threshold; a
 * missing value (NaN) goes where the node's missing flag says.
 *
 * Arrays are read through the buffer protocol, so building this needs no NumPy
 * headers. Every index the walk can follow is checked before the walk, so a malformed
 * model is a ValueError, never a read out of bounds or an endless loop.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h> /* INFINITY */
#include <stdint.h>
#include <string.h>
#if defined(_MSC_VER)
#include <intrin.h> /* _BitScanForward */
#endif

/* One node; trees.py builds the same layout as a NumPy dtype (align=True) and
   checks its size against NODE_BYTES. */
typedef struct {
    double threshold;
    double value;  /* a leaf's value */
    int32_t feature;
    int32_t left;  /* children: indices into the whole array */
    int32_t right;
    uint8_t is_leaf;
    uint8_t missing_left;
} Node;

typedef struct {
    Py_buffer view;
    int held;
} Buffer;

static void release(Buffer *buffers, int count) {
    for (int i = 0; i < count; i++) {
        if (buffers[i].held) {
            PyBuffer_Release(&buffers[i].view);
            buffers[i].held = 0;
        }
    }
}

/* Whether a buffer's item format is `format`; NumPy's int64 is 'l' where a C long has
   64 bits and 'q' elsewhere. */
static int has_format(const Py_buffer *view, const char *format) {
    const char *have = view->format ? view->format : "B";
    if (have[0] == '<' || have[0] == '=' || have[0] == '@') {
        have++;
    }
    return strcmp(have, format) == 0 ||
           (format[0] == 'q' && strcmp(have, "l") == 0 && view->itemsize == 8);
}

/* A C-contiguous buffer of `dims` dimensions in one of the formats in `formats`
   (one character each); `writable` for the output. */
static int take(PyObject *object, Buffer *buffer, const char *formats, int dims,
                int writable, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &buffer->view, flags) < 0) {
        return -1;
    }
    buffer->held = 1;
    for (const char *f = formats; *f; f++) {
        char one[2] = {*f, 0};
        if (has_format(&buffer->view, one) && buffer->view.ndim == dims) {
            return 0;
        }
    }
    PyErr_Format(PyExc_TypeError, "%s: expected a %d-d C-contiguous array of format '%s'",
                 name, dims, formats);
    return -1;
}

static int check_nodes(const Node *nodes, Py_ssize_t n_nodes, Py_ssize_t n_cols,
                       const int64_t *roots, Py_ssize_t n_trees) {
    for (Py_ssize_t i = 0; i < n_nodes; i++) {
        const Node *node = &nodes[i];
        /* Children come after their parent, so every walk ends. */
        if (!node->is_leaf &&
            (node->feature < 0 || node->feature >= n_cols || node->left <= i ||
             node->left >= n_nodes || node->right <= i || node->right >= n_nodes)) {
            PyErr_Format(PyExc_ValueError, "node %zd: its feature or a child is out of range", i);
            return -1;
        }
    }
    for (Py_ssize_t tree = 0; tree < n_trees; tree++) {
        if (roots[tree] < 0 || roots[tree] >= n_nodes) {
            PyErr_Format(PyExc_ValueError, "tree %zd: its root is out of range", tree);
            return -1;
        }
    }
    return 0;
}

/* A row goes left when its value is at most the threshold, or is missing (NaN) and the
   node sends missing values left. Written as branches, not as one flag: the processor
   then guesses the way and starts loading the next node before the row's value is in. */
#define WALK(X_TYPE)                                                                  \
    for (Py_ssize_t tree = 0; tree < n_trees; tree++) {                               \
        const Node *root = &nodes[roots[tree]];                                       \
        for (Py_ssize_t row = 0; row < n_rows; row++) {                               \
            const X_TYPE *x = (const X_TYPE *)X + row * n_cols;                       \
            const Node *node = root;                                                  \
            while (!node->is_leaf) {                                                  \
                const double v = (double)x[node->feature];                            \
                if (v <= node->threshold) {                                           \
                    node = &nodes[node->left];                                        \
                } else if (v != v && node->missing_left) {                            \
                    node = &nodes[node->left];                                        \
                } else {                                                              \
                    node = &nodes[node->right];                                       \
                }                                                                     \
            }                                                                         \
            out[row] += node->value;                                                  \
        }                                                                             \
    }

static PyObject *score(PyObject *self, PyObject *args) {
    PyObject *x_object, *nodes_object, *roots_object, *out_object;
    if (!PyArg_ParseTuple(args, "OOOO", &x_object, &nodes_object, &roots_object, &out_object)) {
        return NULL;
    }
    enum { X_BUF, NODES_BUF, ROOTS_BUF, OUT_BUF, N_BUFS };
    Buffer b[N_BUFS];
    memset(b, 0, sizeof(b));
    if (take(x_object, &b[X_BUF], "fd", 2, 0, "X") < 0 ||
        take(nodes_object, &b[NODES_BUF], "B", 1, 0, "nodes") < 0 ||
        take(roots_object, &b[ROOTS_BUF], "q", 1, 0, "roots") < 0 ||
        take(out_object, &b[OUT_BUF], "d", 1, 1, "out") < 0) {
        release(b, N_BUFS);
        return NULL;
    }
    const Py_ssize_t n_rows = b[X_BUF].view.shape[0], n_cols = b[X_BUF].view.shape[1];
    const Py_ssize_t n_trees = b[ROOTS_BUF].view.shape[0];
    const Py_ssize_t n_bytes = b[NODES_BUF].view.len;
    const Node *nodes = b[NODES_BUF].view.buf;
    const int64_t *roots = b[ROOTS_BUF].view.buf;
    double *out = b[OUT_BUF].view.buf;
    const void *X = b[X_BUF].view.buf;
    if (n_bytes % sizeof(Node) != 0 || ((uintptr_t)nodes) % _Alignof(Node) != 0) {
        PyErr_SetString(PyExc_ValueError, "nodes: not an aligned array of node records");
    } else if (b[OUT_BUF].view.shape[0] != n_rows) {
        PyErr_SetString(PyExc_ValueError, "out must have one value per row of X");
    } else {
        check_nodes(nodes, n_bytes / (Py_ssize_t)sizeof(Node), n_cols, roots, n_trees);
    }
    if (PyErr_Occurred()) {
        release(b, N_BUFS);
        return NULL;
    }
    const int x_double = b[X_BUF].view.itemsize == sizeof(double);
    Py_BEGIN_ALLOW_THREADS
    /* Tree by tree: a tree's few nodes stay in cache over all rows. Each row still adds
       its leaves in tree order, so the sums are those of a row-by-row walk. A float32
       value widened to float64 is exact, so its comparison is the float64 one. */
    if (x_double) {
        WALK(double)
    } else {
        WALK(float)
    }
    Py_END_ALLOW_THREADS
    release(b, N_BUFS);
    Py_RETURN_NONE;
}

/* ---- The same scores by bit vectors (QuickScorer: Lucchese et al., SIGIR 2015) ----
 *
 * A tree's leaves are numbered left to right, and each split carries a mask that
 * clears the leaves of its left subtree. A row reaches the leftmost leaf that no
 * split it fails (value > threshold: it goes right) has cleared. So, per row and per
 * feature, the splits on that feature are taken in order of threshold, and the masks
 * of those below the row's value are applied, until the first that is not: no
 * unpredictable branch per node, only one per feature. The leaves' values are then
 * added in tree order, as score() adds them, so the sums are the same bit for bit.
 *
 * For float32 rows only, with thresholds rounded down to float32 (trees.py): for a
 * float32 value x, x <= t exactly when x <= the largest float32 not above t. The
 * splits are four arrays (thresholds, trees, masks, missing flags), so a scan reads
 * 4 bytes a split until it stops, and 6 more for each mask applied.
 */

#define MAX_LEAVES 32

static int lowest_bit(uint32_t bits) {
#if defined(_MSC_VER)
    unsigned long index;
    _BitScanForward(&index, bits);
    return (int)index;
#else
    return __builtin_ctz(bits);
#endif
}

/* The bit tables of score_bits, and the features whose values vary between rows. */
typedef struct {
    const float *thresholds;
    const uint16_t *trees;
    const uint32_t *masks;
    const uint8_t *missing_left;
    const int64_t *offsets;
    const double *leaves;
    const Py_ssize_t *varying;
    Py_ssize_t n_varying, n_trees, n_cols;
} BitTables;

/* One row: clear the leaves its splits rule out, then add each tree's leftmost leaf
   left (in tree order) to *out. Returns 1 if a tree has no leaf left (malformed). */
static int score_row(const BitTables *t, const float *x, const uint32_t *common,
                     uint32_t *alive, double *out) {
    memcpy(alive, common, t->n_trees * sizeof(uint32_t));
    for (Py_ssize_t k = 0; k < t->n_varying; k++) {
        const Py_ssize_t f = t->varying[k];
        Py_ssize_t i = t->offsets[f];
        const Py_ssize_t end = t->offsets[f + 1];
        const float v = x[f];
        if (v != v) {  /* missing: the splits that send it right clear their masks */
            for (; i < end; i++) {
                if (!t->missing_left[i]) {
                    alive[t->trees[i]] &= t->masks[i];
                }
            }
            continue;
        }
        for (; i < end && t->thresholds[i] < v; i++) {
            alive[t->trees[i]] &= t->masks[i];
        }
    }
    double sum = *out;
    for (Py_ssize_t tree = 0; tree < t->n_trees; tree++) {
        if (!alive[tree]) {
            return 1;
        }
        sum += t->leaves[tree * MAX_LEAVES + lowest_bit(alive[tree])];
    }
    *out = sum;
    return 0;
}

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
/* LANES rows at once (V-QuickScorer: Lucchese et al., 2016): a split's mask is applied
   to the lanes whose value is above its threshold, by one vector AND, and a feature's
   splits are scanned until the largest value of the lanes. Compiled for AVX2 and used
   only on processors that have it (have_lanes): about 2.4 times as fast as score_row
   on the shipped model's pages, where SSE2's narrower vectors were no faster than one
   row at a time. Elsewhere, and with other compilers, rows go one by one. */
#define LANES 8
typedef uint32_t LaneBits __attribute__((vector_size(LANES * sizeof(uint32_t))));
typedef float LaneValues __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t LaneFlags __attribute__((vector_size(LANES * sizeof(int32_t))));

/* Rows x[0..n_rows) (n_rows <= LANES; lanes past them read -inf, which no split sends
   right, and are not written); lanes: n_trees vectors of scratch. As score_row does,
   row by row, so the sums are the same bit for bit. */
__attribute__((target("avx2"))) static int score_lanes(const BitTables *t, const float *x, Py_ssize_t n_rows,
                       const uint32_t *common, LaneBits *lanes, double *out) {
    for (Py_ssize_t tree = 0; tree < t->n_trees; tree++) {
        lanes[tree] = (LaneBits){0} + common[tree];
    }
    for (Py_ssize_t k = 0; k < t->n_varying; k++) {
        const Py_ssize_t f = t->varying[k];
        LaneValues v;
        float top = -INFINITY;
        int missing = 0;
        for (int r = 0; r < LANES; r++) {
            const float value = r < n_rows ? x[r * t->n_cols + f] : -INFINITY;
            v[r] = value;
            missing |= value != value;
            top = value > top ? value : top;  /* NaN never wins */
        }
        const Py_ssize_t end = t->offsets[f + 1];
        for (Py_ssize_t i = t->offsets[f]; i < end && t->thresholds[i] < top; i++) {
            const LaneFlags above = (LaneValues){0} + t->thresholds[i] < v;
            lanes[t->trees[i]] &= t->masks[i] | ~(LaneBits)above;
        }
        if (missing) {  /* a NaN lane: the splits that send it right clear their masks */
            const LaneFlags nan = v != v;
            for (Py_ssize_t i = t->offsets[f]; i < end; i++) {
                if (!t->missing_left[i]) {
                    lanes[t->trees[i]] &= t->masks[i] | ~(LaneBits)nan;
                }
            }
        }
    }
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        double sum = out[r];
        for (Py_ssize_t tree = 0; tree < t->n_trees; tree++) {
            const uint32_t bits = lanes[tree][r];
            if (!bits) {
                return 1;
            }
            sum += t->leaves[tree * MAX_LEAVES + lowest_bit(bits)];
        }
        out[r] = sum;
    }
    return 0;
}

static int have_lanes(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
}
#else
static int have_lanes(void) { return 0; }
#endif

static PyObject *score_bits(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[8];
    int use_lanes = 1;
    if (!PyArg_ParseTuple(args, "OOOOOOOO|p", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &objects[6], &objects[7],
                          &use_lanes)) {
        return NULL;
    }
    enum { X_BUF, THRESHOLD_BUF, TREE_BUF, MASK_BUF, MISSING_BUF, OFFSETS_BUF, LEAVES_BUF,
           OUT_BUF, N_BUFS };
    static const struct {
        const char *formats, *name;
        int dims, writable;
    } specs[N_BUFS] = {
        {"f", "X", 2, 0}, {"f", "thresholds", 1, 0}, {"H", "trees", 1, 0},
        {"I", "masks", 1, 0}, {"B", "missing_left", 1, 0}, {"q", "offsets", 1, 0},
        {"d", "leaves", 2, 0}, {"d", "out", 1, 1},
    };
    Buffer b[N_BUFS];
    memset(b, 0, sizeof(b));
    for (int i = 0; i < N_BUFS; i++) {
        if (take(objects[i], &b[i], specs[i].formats, specs[i].dims, specs[i].writable,
                 specs[i].name) < 0) {
            release(b, N_BUFS);
            return NULL;
        }
    }
    const Py_ssize_t n_rows = b[X_BUF].view.shape[0], n_cols = b[X_BUF].view.shape[1];
    const Py_ssize_t n_splits = b[THRESHOLD_BUF].view.shape[0];
    const Py_ssize_t n_features = b[OFFSETS_BUF].view.shape[0] - 1;
    const Py_ssize_t n_trees = b[LEAVES_BUF].view.shape[0];
    const float *thresholds = b[THRESHOLD_BUF].view.buf;
    const uint16_t *trees = b[TREE_BUF].view.buf;
    const uint32_t *masks = b[MASK_BUF].view.buf;
    const uint8_t *missing_left = b[MISSING_BUF].view.buf;
    const int64_t *offsets = b[OFFSETS_BUF].view.buf;
    const double *leaves = b[LEAVES_BUF].view.buf;
    const float *X = b[X_BUF].view.buf;
    double *out = b[OUT_BUF].view.buf;
    if (b[TREE_BUF].view.shape[0] != n_splits || b[MASK_BUF].view.shape[0] != n_splits ||
        b[MISSING_BUF].view.shape[0] != n_splits) {
        PyErr_SetString(PyExc_ValueError, "the four split arrays must have one length");
    } else if (b[LEAVES_BUF].view.shape[1] != MAX_LEAVES) {
        PyErr_SetString(PyExc_ValueError, "leaves: one row of 32 values per tree");
    } else if (b[OUT_BUF].view.shape[0] != n_rows) {
        PyErr_SetString(PyExc_ValueError, "out must have one value per row of X");
    } else if (n_features < 0 || n_features > n_cols) {
        PyErr_SetString(PyExc_ValueError, "X has fewer columns than the splits read");
    } else if (offsets[0] != 0 || offsets[n_features] != n_splits) {
        PyErr_SetString(PyExc_ValueError, "offsets must run from 0 to the number of splits");
    } else {
        for (Py_ssize_t f = 0; f < n_features && !PyErr_Occurred(); f++) {
            if (offsets[f + 1] < offsets[f]) {
                PyErr_SetString(PyExc_ValueError, "offsets must not decrease");
            }
        }
        for (Py_ssize_t i = 0; i < n_splits && !PyErr_Occurred(); i++) {
            if (trees[i] >= n_trees) {
                PyErr_Format(PyExc_ValueError, "split %zd: its tree is out of range", i);
            }
        }
    }
    if (PyErr_Occurred()) {
        release(b, N_BUFS);
        return NULL;
    }
    /* alive: per tree, its leaves still reachable; common: the same after the features
       that hold one value in every row; varying: the other features' indices. */
    uint32_t *alive = PyMem_Malloc((n_trees + 1) * sizeof(uint32_t));
    uint32_t *common = PyMem_Malloc((n_trees + 1) * sizeof(uint32_t));
    unsigned char *differs = PyMem_Calloc(n_features + 1, 1);
    Py_ssize_t *varying = PyMem_Malloc((n_features + 1) * sizeof(Py_ssize_t));
    if (!alive || !common || !differs || !varying) {
        PyMem_Free(alive);
        PyMem_Free(common);
        PyMem_Free(differs);
        PyMem_Free(varying);
        release(b, N_BUFS);
        return PyErr_NoMemory();
    }
#ifdef LANES
    /* Scratch for score_lanes, aligned to its vectors; none: rows go one by one. */
    void *lane_memory = use_lanes && have_lanes() ?
        PyMem_Malloc((n_trees + 2) * sizeof(LaneBits)) : NULL;
    LaneBits *lanes = lane_memory == NULL ? NULL : (LaneBits *)(
        ((uintptr_t)lane_memory + sizeof(LaneBits) - 1) & ~(uintptr_t)(sizeof(LaneBits) - 1));
#endif
    int lost = 0;  /* a tree with no leaf left: malformed masks */
    Py_BEGIN_ALLOW_THREADS
    /* A page's page-level features hold one value in all its rows: their masks are
       applied once, not once a row. (NaN never equals itself: such a column varies.) */
    for (Py_ssize_t row = 0; row < n_rows; row++) {
        const float *x = X + row * n_cols;
        for (Py_ssize_t f = 0; f < n_features; f++) {
            differs[f] |= !(x[f] == X[f]);
        }
    }
    for (Py_ssize_t t = 0; t < n_trees; t++) {
        common[t] = ~(uint32_t)0;
    }
    Py_ssize_t n_varying = 0;
    for (Py_ssize_t f = 0; f < n_features; f++) {
        if (offsets[f] == offsets[f + 1]) {
            continue;
        }
        if (differs[f] || n_rows == 0) {
            varying[n_varying++] = f;
            continue;
        }
        for (Py_ssize_t i = offsets[f]; i < offsets[f + 1] && thresholds[i] < X[f]; i++) {
            common[trees[i]] &= masks[i];
        }
    }
    const BitTables tables = {thresholds, trees, masks, missing_left, offsets, leaves,
                              varying, n_varying, n_trees, n_cols};
    Py_ssize_t row = 0;
#ifdef LANES
    if (lanes) {
        for (; row + LANES <= n_rows && !lost; row += LANES) {
            lost = score_lanes(&tables, X + row * n_cols, LANES, common, lanes, out + row);
        }
        if (row < n_rows && !lost) {  /* the last few rows, in lanes padded with -inf */
            lost = score_lanes(&tables, X + row * n_cols, n_rows - row, common, lanes,
                               out + row);
        }
        row = n_rows;
    }
#endif
    for (; row < n_rows && !lost; row++) {
        lost = score_row(&tables, X + row * n_cols, common, alive, out + row);
    }
    Py_END_ALLOW_THREADS
#ifdef LANES
    PyMem_Free(lane_memory);
#endif
    PyMem_Free(alive);
    PyMem_Free(common);
    PyMem_Free(differs);
    PyMem_Free(varying);
    release(b, N_BUFS);
    if (lost) {
        PyErr_SetString(PyExc_ValueError, "a row reached no leaf: the split masks are malformed");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"score_bits", score_bits, METH_VARARGS,
     "score_bits(X, thresholds, trees, masks, missing_left, offsets, leaves, out,\n"
     "lanes=True): what score() adds for float32 rows, from the trees as bit-vector\n"
     "splits (trees.py builds them): grouped by feature and sorted by threshold,\n"
     "offsets[f]..offsets[f+1] those of feature f; leaves[tree, leaf], leftmost leaf\n"
     "first. Eight rows at a time where the processor has AVX2 (HAS_LANES), unless\n"
     "lanes is false; the sums are the same either way."},
    {"score", score, METH_VARARGS,
     "score(X, nodes, roots, out): add every tree's leaf value for each row of X\n"
     "(float32 or float64) to out (float64), in tree order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_treescore",
    "Boosted trees scored in C, the same arithmetic as scikit-learn's predictors.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__treescore(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && (PyModule_AddIntConstant(m, "NODE_BYTES", (long)sizeof(Node)) < 0 ||
                      PyModule_AddIntConstant(m, "MAX_LEAVES", MAX_LEAVES) < 0 ||
                      PyModule_AddIntConstant(m, "HAS_LANES", have_lanes()) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
