/* Per-frame work on a page's element tree, for structure.py, and the second pass's
 * group pooling, for features.py (frames are the elements blocks.blockify recorded,
 * in document order: a frame's parent comes before it).
 *
 * ancestor_or(own, parents, bits, depth): bits[f] = own[f] OR'd with own[a] of every
 * ancestor a of f, depth[f] = 1 + the number of those ancestors. One pass in document
 * order. Returns False, leaving the outputs unfinished, if some frame's parent does not
 * come before it (the caller then works them out another way).
 *
 * chains(owners, parents, block, frame, level) -> bool: every (block, frame on the
 * chain from the block's owner up to the root, distance up from the owner), ordered
 * by block, then nearest first, into the three int64 outputs, which must hold exactly
 * that many entries (the sum of the owners' depths). False if they do not.
 *
 * signature_ids(parents, tags, attrs, siblings, styles) -> list: per frame, an id for
 * its (parent, tag, attributes) into `siblings` and one for its (tag, attributes) into
 * `styles` (int64), each numbered in order of first appearance, as dict.setdefault
 * would; returns the (tag, attributes) pairs in the order of their ids.
 *
 * pool_groups(ids, products, weights, values, out, column) -> bool: for each column j
 * of ids (blocks, keys; int64), rows with the same id form a group, and each row gets
 * its group's sum of products over its sum of weights (at least MIN_WEIGHT) in
 * out[row, column + 2j] and its group's largest value in out[row, column + 2j + 1]
 * (out float32, the others float64, one per row). Sums add in row order, as
 * np.bincount does, and the largest value is NaN if one is, as np.maximum gives: the
 * numbers of features._group_stats, bit for bit. False, writing nothing, if a column's
 * ids span more than MAX_SPAN_PER_ROW slots a row (plus MIN_SPAN).
 *
 * block_bits(blocks, own, cumulative, class_bits, context_bits, out): per block, the
 * bits of its own elements (its owner and text frames: rows of `own`) and of those
 * and their ancestors (rows of `cumulative`, from ancestor_or), OR'd, unpacked into
 * out (blocks, 2 * class_bits + context_bits; float32 0/1): the class bits of `own`,
 * the class bits of `cumulative`, then its context bits, which start at the first
 * 64-bit word after the class bits (features._word_masks' three matrices, side by side).
 *
 * block_table(blocks, kinds, tags, owner_tags, other, out) -> list: each block's text,
 * and in its row of out (blocks, 5; int64) its owner, the index of its kind in `kinds`
 * (a dict; -1 if not there), its level, its link characters, and the index of its
 * owner's tag (`tags[owner]`) in `owner_tags` (a dict; `other` if not there): one pass
 * over the Block records instead of one list comprehension per attribute
 * (features._block_table).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h> /* INFINITY */
#include <stdint.h>
#include <string.h>

/* Is the buffer 8-byte integers, unsigned ("Q", "L") or signed ("q", "l")? */
static int is_8_byte_int(const Py_buffer *view, int want_unsigned) {
    const char *f = view->format ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') {
        f++;
    }
    if (view->itemsize != 8) {
        return 0;
    }
    return want_unsigned ? (strcmp(f, "Q") == 0 || strcmp(f, "L") == 0)
                         : (strcmp(f, "q") == 0 || strcmp(f, "l") == 0);
}

#define IS_INT64(view) is_8_byte_int(view, 0)
#define IS_UINT64(view) is_8_byte_int(view, 1)

static PyObject *ancestor_or(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *objects[4];
    if (!PyArg_ParseTuple(args, "OOOO:ancestor_or", &objects[0], &objects[1], &objects[2],
                          &objects[3])) {
        return NULL;
    }
    static const int writable[4] = {0, 0, 1, 1};
    Py_buffer views[4];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 4; got++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable[got] ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[got], &views[got], flags) < 0) {
            goto done;
        }
    }
    Py_buffer *own = &views[0], *parents = &views[1], *bits = &views[2], *depth = &views[3];
    Py_ssize_t n = parents->len / 8;
    if (!IS_UINT64(own) || !IS_UINT64(bits) || !IS_INT64(parents) || !IS_INT64(depth)
        || own->ndim != 2 || own->shape[0] != n || bits->len != own->len || depth->len != n * 8) {
        PyErr_SetString(PyExc_ValueError,
                        "ancestor_or: own and bits (frames, words) uint64, parents and depth "
                        "one int64 per frame");
        goto done;
    }
    Py_ssize_t width = own->shape[1];
    const uint64_t *own_rows = own->buf;
    const int64_t *parent = parents->buf;
    uint64_t *rows = bits->buf;
    int64_t *depths = depth->buf;
    for (Py_ssize_t f = 0; f < n; f++) {
        int64_t up = parent[f];
        if (up >= f || up < -1) {
            result = Py_False;
            Py_INCREF(result);
            goto done;
        }
        for (Py_ssize_t k = 0; k < width; k++) {
            rows[f * width + k] = own_rows[f * width + k] | (up >= 0 ? rows[up * width + k] : 0);
        }
        depths[f] = up >= 0 ? depths[up] + 1 : 1;
    }
    result = Py_True;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++) {
        PyBuffer_Release(&views[i]);
    }
    return result;
}

static PyObject *chains(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *objects[5];
    if (!PyArg_ParseTuple(args, "OOOOO:chains", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4])) {
        return NULL;
    }
    Py_buffer views[5];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 5; got++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (got >= 2 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[got], &views[got], flags) < 0) {
            goto done;
        }
    }
    for (int i = 0; i < 5; i++) {
        if (!IS_INT64(&views[i])) {
            PyErr_SetString(PyExc_ValueError, "chains: all arrays must be int64");
            goto done;
        }
    }
    Py_ssize_t blocks = views[0].len / 8, frames = views[1].len / 8, total = views[2].len / 8;
    if (views[3].len != views[2].len || views[4].len != views[2].len) {
        PyErr_SetString(PyExc_ValueError, "chains: the three outputs must have one length");
        goto done;
    }
    const int64_t *owner = views[0].buf, *parent = views[1].buf;
    int64_t *out_block = views[2].buf, *out_frame = views[3].buf, *out_level = views[4].buf;
    Py_ssize_t at = 0;
    for (Py_ssize_t b = 0; b < blocks; b++) {
        int64_t level = 0;
        for (int64_t f = owner[b]; f >= 0; f = parent[f], level++) {
            if (f >= frames || at == total) {  /* a bad index, or more than room for */
                result = Py_False;
                Py_INCREF(result);
                goto done;
            }
            out_block[at] = b;
            out_frame[at] = f;
            out_level[at] = level;
            at++;
        }
    }
    result = at == total ? Py_True : Py_False;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++) {
        PyBuffer_Release(&views[i]);
    }
    return result;
}

/* An open-addressing table from a key (given by the frame that first had it) to its id. */
typedef struct {
    Py_hash_t hash;
    Py_ssize_t frame;  /* -1: empty slot */
    Py_ssize_t id;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask;
    Py_ssize_t count;
} Table;

static int table_init(Table *table, Py_ssize_t n) {
    size_t capacity = 8;
    while (capacity < 2 * (size_t)n) {
        capacity *= 2;
    }
    table->slots = PyMem_Malloc(capacity * sizeof(Slot));
    if (!table->slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < capacity; i++) {
        table->slots[i].frame = -1;
    }
    table->mask = capacity - 1;
    table->count = 0;
    return 0;
}

static int same_str(PyObject *a, PyObject *b) {
    return a == b || PyUnicode_Compare(a, b) == 0;
}

typedef struct {
    const int64_t *parents;
    PyObject *tags;
    PyObject *attrs;
} FrameFacts;

/* Do frames f and g have the same (parent,) tag and attributes? */
static int same_key(const FrameFacts *facts, Py_ssize_t f, Py_ssize_t g, int with_parent) {
    if (with_parent && facts->parents[f] != facts->parents[g]) {
        return 0;
    }
    return same_str(PyList_GET_ITEM(facts->tags, f), PyList_GET_ITEM(facts->tags, g))
           && same_str(PyList_GET_ITEM(facts->attrs, f), PyList_GET_ITEM(facts->attrs, g));
}

/* The id of frame f's key, a new one if no earlier frame had it. */
static Py_ssize_t table_id(Table *table, const FrameFacts *facts, Py_ssize_t f, Py_hash_t hash,
                           int with_parent) {
    size_t i = (size_t)hash & table->mask;
    while (table->slots[i].frame >= 0) {
        Slot *slot = &table->slots[i];
        if (slot->hash == hash && same_key(facts, slot->frame, f, with_parent)) {
            return slot->id;
        }
        i = (i + 1) & table->mask;
    }
    table->slots[i] = (Slot){hash, f, table->count};
    return table->count++;
}

static Py_hash_t mix(Py_hash_t a, Py_hash_t b) {
    uint64_t x = (uint64_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)b;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 32;
    return (Py_hash_t)x;
}

static PyObject *signature_ids(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *parents_object, *tags, *attrs, *sib_object, *style_object;
    if (!PyArg_ParseTuple(args, "OO!O!OO:signature_ids", &parents_object, &PyList_Type, &tags,
                          &PyList_Type, &attrs, &sib_object, &style_object)) {
        return NULL;
    }
    Py_buffer parents, sib, style;
    if (PyObject_GetBuffer(parents_object, &parents, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(sib_object, &sib, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&parents);
        return NULL;
    }
    if (PyObject_GetBuffer(style_object, &style,
                           PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&parents);
        PyBuffer_Release(&sib);
        return NULL;
    }
    PyObject *result = NULL, *styles = NULL;
    Table siblings = {0}, alike = {0};
    Py_ssize_t n = PyList_GET_SIZE(tags);
    if (!IS_INT64(&parents) || !IS_INT64(&sib) || !IS_INT64(&style) || parents.len != n * 8
        || sib.len != n * 8 || style.len != n * 8 || PyList_GET_SIZE(attrs) != n) {
        PyErr_SetString(PyExc_ValueError,
                        "signature_ids: parents, tags, attrs and both outputs (int64) must "
                        "have one item per frame");
        goto done;
    }
    for (Py_ssize_t f = 0; f < n; f++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(tags, f))
            || !PyUnicode_Check(PyList_GET_ITEM(attrs, f))) {
            PyErr_SetString(PyExc_TypeError, "signature_ids: tags and attrs must be str");
            goto done;
        }
    }
    if (table_init(&siblings, n) < 0 || table_init(&alike, n) < 0) {
        goto done;
    }
    styles = PyList_New(0);
    if (!styles) {
        goto done;
    }
    FrameFacts facts = {parents.buf, tags, attrs};
    int64_t *sib_ids = sib.buf, *style_ids = style.buf;
    for (Py_ssize_t f = 0; f < n; f++) {
        PyObject *tag = PyList_GET_ITEM(tags, f), *attr = PyList_GET_ITEM(attrs, f);
        Py_hash_t tag_hash = PyObject_Hash(tag), attr_hash = PyObject_Hash(attr);
        if (tag_hash == -1 || attr_hash == -1) {
            goto done;
        }
        Py_hash_t style_hash = mix(tag_hash, attr_hash);
        style_ids[f] = table_id(&alike, &facts, f, style_hash, 0);
        sib_ids[f] = table_id(&siblings, &facts, f, mix(style_hash, (Py_hash_t)facts.parents[f]),
                              1);
        if (style_ids[f] == PyList_GET_SIZE(styles)) {  /* a new style: record its pair */
            PyObject *pair = PyTuple_Pack(2, tag, attr);
            if (!pair || PyList_Append(styles, pair) < 0) {
                Py_XDECREF(pair);
                goto done;
            }
            Py_DECREF(pair);
        }
    }
    result = styles;
    styles = NULL;
done:
    Py_XDECREF(styles);
    PyMem_Free(siblings.slots);
    PyMem_Free(alike.slots);
    PyBuffer_Release(&parents);
    PyBuffer_Release(&sib);
    PyBuffer_Release(&style);
    return result;
}

/* pool_groups' scratch: per slot, the sums and the largest value. Ids spanning more
   than this many slots a row (beyond MIN_SPAN) are left to numpy's np.unique. */
#define MAX_SPAN_PER_ROW 64
#define MIN_SPAN 4096
#define MIN_WEIGHT 1e-9

static int is_float(const Py_buffer *view, Py_ssize_t itemsize) {
    const char *f = view->format ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') {
        f++;
    }
    return view->itemsize == itemsize && strcmp(f, itemsize == 8 ? "d" : "f") == 0;
}

static PyObject *pool_groups(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *objects[5];
    Py_ssize_t column;
    if (!PyArg_ParseTuple(args, "OOOOOn:pool_groups", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &column)) {
        return NULL;
    }
    Py_buffer views[5];
    int got = 0;
    PyObject *result = NULL;
    double *scratch = NULL;
    for (; got < 5; got++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (got == 4 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[got], &views[got], flags) < 0) {
            goto done;
        }
    }
    Py_buffer *ids = &views[0], *out = &views[4];
    Py_ssize_t rows = ids->ndim == 2 ? ids->shape[0] : -1;
    Py_ssize_t keys = ids->ndim == 2 ? ids->shape[1] : 0;
    Py_ssize_t width = out->ndim == 2 ? out->shape[1] : 0;
    if (!IS_INT64(ids) || rows < 0 || !is_float(out, 4) || out->ndim != 2
        || out->shape[0] != rows || column < 0 || column + 2 * keys > width) {
        PyErr_SetString(PyExc_ValueError, "pool_groups: ids (rows, keys) int64 and out "
                        "(rows, columns) float32 with room for two columns a key");
        goto done;
    }
    for (int i = 1; i < 4; i++) {
        if (!is_float(&views[i], 8) || views[i].len != rows * 8) {
            PyErr_SetString(PyExc_ValueError,
                            "pool_groups: products, weights and values one float64 a row");
            goto done;
        }
    }
    const int64_t *id = ids->buf;
    const double *product = views[1].buf, *weight = views[2].buf, *value = views[3].buf;
    float *cells = out->buf;
    int64_t low[64], span[64];
    int64_t largest_span = 1;
    if (keys > 64) {
        PyErr_SetString(PyExc_ValueError, "pool_groups: at most 64 keys");
        goto done;
    }
    for (Py_ssize_t k = 0; k < keys; k++) {  /* every column's span first: all or nothing */
        int64_t lo = rows ? id[k] : 0, hi = lo;
        for (Py_ssize_t r = 1; r < rows; r++) {
            int64_t v = id[r * keys + k];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        low[k] = lo;
        span[k] = hi - lo + 1;  /* ids come from frame and block counts: no overflow */
        if (span[k] > MIN_SPAN + MAX_SPAN_PER_ROW * (int64_t)rows) {
            result = Py_False;
            Py_INCREF(result);
            goto done;
        }
        largest_span = span[k] > largest_span ? span[k] : largest_span;
    }
    scratch = PyMem_Malloc(3 * (size_t)largest_span * sizeof(double));
    if (!scratch) {
        PyErr_NoMemory();
        goto done;
    }
    double *total = scratch, *weights = scratch + largest_span, *peak = scratch + 2 * largest_span;
    for (Py_ssize_t k = 0; k < keys; k++) {
        for (int64_t g = 0; g < span[k]; g++) {
            total[g] = 0.0;
            weights[g] = 0.0;
            peak[g] = -INFINITY;
        }
        for (Py_ssize_t r = 0; r < rows; r++) {
            int64_t g = id[r * keys + k] - low[k];
            total[g] += product[r];
            weights[g] += weight[r];
            if (value[r] > peak[g] || value[r] != value[r]) {  /* NaN wins, as in np.maximum */
                peak[g] = value[r];
            }
        }
        for (Py_ssize_t r = 0; r < rows; r++) {
            int64_t g = id[r * keys + k] - low[k];
            double w = weights[g];
            double divisor = (w > MIN_WEIGHT || w != w) ? w : MIN_WEIGHT;
            cells[r * width + column + 2 * k] = (float)(total[g] / divisor);
            cells[r * width + column + 2 * k + 1] = (float)peak[g];
        }
    }
    result = Py_True;
    Py_INCREF(result);
done:
    PyMem_Free(scratch);
    for (int i = 0; i < got; i++) {
        PyBuffer_Release(&views[i]);
    }
    return result;
}

static PyObject *owner_name, *text_frames_name;  /* Block's attributes, interned at import */

/* A frame index read from a Block; -1 with a ValueError if not one of n_frames. */
static Py_ssize_t frame_index(PyObject *value, Py_ssize_t n_frames) {
    Py_ssize_t f = PyLong_Check(value) ? PyLong_AsSsize_t(value) : -1;
    if (f < 0 || f >= n_frames) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "block_bits: a block's frame is out of range");
        }
        return -1;
    }
    return f;
}

/* OR row f of `bits` (width words) into acc[0..words). */
static inline void or_row(uint64_t *acc, const uint64_t *bits, Py_ssize_t width, Py_ssize_t f,
                          Py_ssize_t words) {
    for (Py_ssize_t k = 0; k < words; k++) {
        acc[k] |= bits[f * width + k];
    }
}

static inline void unpack(float *out, const uint64_t *words, Py_ssize_t first_bit,
                          Py_ssize_t count) {
    for (Py_ssize_t j = 0; j < count; j++) {
        Py_ssize_t bit = first_bit + j;
        out[j] = (float)((words[bit / 64] >> (bit % 64)) & 1);
    }
}

#define MAX_WORDS 16

static PyObject *block_bits(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *blocks, *objects[3];
    Py_ssize_t class_bits, context_bits;
    if (!PyArg_ParseTuple(args, "O!OOnnO:block_bits", &PyList_Type, &blocks, &objects[0],
                          &objects[1], &class_bits, &context_bits, &objects[2])) {
        return NULL;
    }
    Py_buffer views[3];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 3; got++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (got == 2 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[got], &views[got], flags) < 0) {
            goto done;
        }
    }
    Py_buffer *own = &views[0], *cumulative = &views[1], *out = &views[2];
    Py_ssize_t n = PyList_GET_SIZE(blocks);
    Py_ssize_t class_words = (class_bits + 63) / 64;
    Py_ssize_t width = own->ndim == 2 ? own->shape[1] : 0;
    Py_ssize_t columns = 2 * class_bits + context_bits;
    if (!IS_UINT64(own) || !IS_UINT64(cumulative) || own->ndim != 2 || cumulative->ndim != 2
        || cumulative->shape[0] != own->shape[0] || cumulative->shape[1] != width
        || class_bits < 0 || context_bits < 0 || width > MAX_WORDS
        || class_words * 64 + context_bits > 64 * width || !is_float(out, 4)
        || out->ndim != 2 || out->shape[0] != n || out->shape[1] != columns) {
        PyErr_SetString(PyExc_ValueError, "block_bits: own and cumulative (frames, words) "
                        "uint64 with room for the bits; out (blocks, 2 * class_bits + "
                        "context_bits) float32");
        goto done;
    }
    const uint64_t *own_bits = own->buf, *all_bits = cumulative->buf;
    Py_ssize_t n_frames = own->shape[0];
    float *cells = out->buf;
    for (Py_ssize_t b = 0; b < n; b++) {
        PyObject *block = PyList_GET_ITEM(blocks, b);
        PyObject *owner = PyObject_GetAttr(block, owner_name);
        PyObject *frames = owner ? PyObject_GetAttr(block, text_frames_name) : NULL;
        uint64_t mine[MAX_WORDS] = {0}, all[MAX_WORDS] = {0};
        Py_ssize_t f = frames ? frame_index(owner, n_frames) : -1;
        if (f >= 0 && !PyTuple_Check(frames)) {
            PyErr_SetString(PyExc_ValueError, "block_bits: text_frames must be a tuple");
            f = -1;
        }
        if (f >= 0) {
            or_row(mine, own_bits, width, f, class_words);
            or_row(all, all_bits, width, f, width);
            for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(frames) && f >= 0; i++) {
                f = frame_index(PyTuple_GET_ITEM(frames, i), n_frames);
                if (f >= 0) {
                    or_row(mine, own_bits, width, f, class_words);
                    or_row(all, all_bits, width, f, width);
                }
            }
        }
        Py_XDECREF(owner);
        Py_XDECREF(frames);
        if (f < 0) {
            goto done;
        }
        float *row = cells + b * columns;
        unpack(row, mine, 0, class_bits);
        unpack(row + class_bits, all, 0, class_bits);
        unpack(row + 2 * class_bits, all, class_words * 64, context_bits);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++) {
        PyBuffer_Release(&views[i]);
    }
    return result;
}

static PyObject *text_name, *kind_name, *level_name, *link_chars_name;

enum { BT_OWNER, BT_KIND, BT_LEVEL, BT_LINK_CHARS, BT_TAG, BT_COLUMNS };

/* A Block's integer attribute `name`, into *value; -1 with an error if it is not an int. */
static int int_attribute(PyObject *block, PyObject *name, int64_t *value) {
    PyObject *attribute = PyObject_GetAttr(block, name);
    if (attribute == NULL) {
        return -1;
    }
    long long v = PyLong_Check(attribute) ? PyLong_AsLongLong(attribute) : -1;
    int failed = !PyLong_Check(attribute) || (v == -1 && PyErr_Occurred());
    Py_DECREF(attribute);
    if (failed) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "block_table: a block's %U must be an int", name);
        return -1;
    }
    *value = (int64_t)v;
    return 0;
}

/* Index of `key` in the dict `index` (an int value), or `missing` if it is not there. */
static int lookup(PyObject *index, PyObject *key, int64_t missing, int64_t *value) {
    PyObject *found = PyDict_GetItemWithError(index, key);  /* borrowed */
    if (found == NULL) {
        *value = missing;
        return PyErr_Occurred() ? -1 : 0;
    }
    long long v = PyLong_AsLongLong(found);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    *value = (int64_t)v;
    return 0;
}

/* One block's row of the table; its text goes into `texts` at b. 0, or -1 with an error. */
static int table_row(PyObject *block, Py_ssize_t b, PyObject *kinds, PyObject *tags,
                     PyObject *owner_tags, int64_t other, int64_t *row, PyObject *texts) {
    if (int_attribute(block, owner_name, &row[BT_OWNER]) < 0
        || int_attribute(block, level_name, &row[BT_LEVEL]) < 0
        || int_attribute(block, link_chars_name, &row[BT_LINK_CHARS]) < 0) {
        return -1;
    }
    if (row[BT_OWNER] < 0 || row[BT_OWNER] >= PyList_GET_SIZE(tags)) {
        PyErr_SetString(PyExc_ValueError, "block_table: a block's owner is out of range");
        return -1;
    }
    PyObject *kind = PyObject_GetAttr(block, kind_name);
    if (kind == NULL) {
        return -1;
    }
    int failed = lookup(kinds, kind, -1, &row[BT_KIND]);
    Py_DECREF(kind);
    if (failed || lookup(owner_tags, PyList_GET_ITEM(tags, row[BT_OWNER]), other,
                         &row[BT_TAG]) < 0) {
        return -1;
    }
    PyObject *text = PyObject_GetAttr(block, text_name);
    if (text == NULL) {
        return -1;
    }
    if (!PyUnicode_Check(text)) {
        Py_DECREF(text);
        PyErr_SetString(PyExc_ValueError, "block_table: a block's text must be a str");
        return -1;
    }
    PyList_SET_ITEM(texts, b, text);  /* steals the reference */
    return 0;
}

static PyObject *block_table(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *blocks, *kinds, *tags, *owner_tags, *out;
    long long other;
    if (!PyArg_ParseTuple(args, "O!O!O!O!LO:block_table", &PyList_Type, &blocks,
                          &PyDict_Type, &kinds, &PyList_Type, &tags, &PyDict_Type,
                          &owner_tags, &other, &out)) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(out, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(blocks);
    PyObject *texts = NULL;
    if (!IS_INT64(&view) || view.ndim != 2 || view.shape[0] != n
        || view.shape[1] != BT_COLUMNS) {
        PyErr_SetString(PyExc_ValueError, "block_table: out must be (blocks, 5) int64");
        goto done;
    }
    texts = PyList_New(n);
    for (Py_ssize_t b = 0; texts != NULL && b < n; b++) {
        if (table_row(PyList_GET_ITEM(blocks, b), b, kinds, tags, owner_tags, other,
                      (int64_t *)view.buf + b * BT_COLUMNS, texts) < 0) {
            Py_CLEAR(texts);  /* the slots not yet filled are NULL, which list_dealloc skips */
        }
    }
done:
    PyBuffer_Release(&view);
    return texts;
}

static PyMethodDef methods[] = {
    {"ancestor_or", ancestor_or, METH_VARARGS,
     "ancestor_or(own, parents, bits, depth) -> bool: each frame's bits OR'd with its "
     "ancestors', and its depth; False if a parent does not come before its child."},
    {"chains", chains, METH_VARARGS,
     "chains(owners, parents, block, frame, level) -> bool: every (block, ancestor of its "
     "owner, distance) by block then nearest first; False if the outputs' size is wrong."},
    {"signature_ids", signature_ids, METH_VARARGS,
     "signature_ids(parents, tags, attrs, siblings, styles) -> list: ids of each frame's "
     "(parent, tag, attributes) and (tag, attributes), and the (tag, attributes) pairs."},
    {"block_bits", block_bits, METH_VARARGS,
     "block_bits(blocks, own, cumulative, class_bits, context_bits, out): each block's "
     "class bits of its own elements, class and context bits with their ancestors, "
     "unpacked into float32 columns."},
    {"block_table", block_table, METH_VARARGS,
     "block_table(blocks, kinds, tags, owner_tags, other, out) -> list: each block's text; "
     "its owner, kind index, level, link characters and owner-tag index into out."},
    {"pool_groups", pool_groups, METH_VARARGS,
     "pool_groups(ids, products, weights, values, out, column) -> bool: each row's "
     "group's weighted mean and largest value per key column, into two float32 columns."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_frames",
    "Per-frame work on a page's element tree (see structure.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__frames(void) {
    owner_name = PyUnicode_InternFromString("owner");
    text_frames_name = PyUnicode_InternFromString("text_frames");
    text_name = PyUnicode_InternFromString("text");
    kind_name = PyUnicode_InternFromString("kind");
    level_name = PyUnicode_InternFromString("level");
    link_chars_name = PyUnicode_InternFromString("link_chars");
    if (!owner_name || !text_frames_name || !text_name || !kind_name || !level_name
        || !link_chars_name) {
        return NULL;
    }
    return PyModule_Create(&module_def);
}
