/* Scans of texts for features.py, counts.py and needles.py.
 *
 * build_needles(needles) / mark_needles(haystack, ends, automaton, out): which texts
 * hold which of up to 64 strings (needles.CaselessFinder). `haystack` is texts joined
 * by a separator byte, `ends` (int64, ascending) the offset where each text ends (its
 * separator, or the haystack's length for the last). build_needles makes an
 * Aho-Corasick automaton of the needles (bytes) once; mark_needles runs it over each
 * text and ORs into out[i] (uint64) bit k for each needle k that text i holds. One
 * pass over the haystack for all the needles, and no match spans two texts.
 *
 * compile_stems(stems, bits) -> capsule: the stems as stem_bits reads them, worked
 * out once. `stems` is a list of (stem, bit, mode), stem two or more ASCII bytes, bit
 * below `bits`; mode TOKEN_EXACT, TOKEN_PREFIX or TOKEN_INNER compares it with a
 * value's tokens (runs of ASCII letters and digits, also split where a lower-case
 * letter meets an upper-case one, lower-cased), VALUE_INNER looks for it anywhere in
 * the lower-cased value.
 *
 * stem_bits(values, compiled, out): which stems each value holds, as bits (features'
 * class words, see features._style_bits). out (uint64, one row of words per value,
 * room for `bits` bits) gets each stem's bit OR'ed in where it matches.
 *
 * text_counts(texts, out): the character and word counts behind features' text.*
 * columns, one row of TEXT_COUNTS int64 per text (see counts.text_counts).
 *
 * word_overlap(texts, words, out): per text, lower-cased as str.lower() does it, its
 * words as re's \w+ finds them, how many of them are among `words` (up to 64 str,
 * each a \w+ word), and how many distinct ones of `words` it holds: out (int64) gets
 * one row of those three counts per text (counts.word_overlap, for features._title).
 *
 * scan_cues(texts, automaton, unsafe, limits, out): which of up to 32 patterns
 * match each text, by the automaton dfa.py compiles them to (packed by
 * features._packed_cues): out[i, k] (float32) is 1 if pattern k matches text i,
 * lower-cased, and the text is shorter than limits[k] (int64, one per pattern), else
 * 0. Texts as long as the largest limit or longer are not read.
 * Returns False, leaving the rest of out unset, as soon as a text holds one of the
 * characters of `unsafe` (str) in its own or lower-cased form: re's case-insensitive
 * matching differs from lower-casing there, and the caller searches with re.
 *
 * ngram_slots(texts, max_chars, bits) -> (counts, slots): the hashed word n-grams of
 * each text as lexicon.ngram_slots gives them (that is the reference): counts (bytes
 * of int64) how many slots each text has, slots (bytes of int32) all of them in order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static int is_int64(const Py_buffer *view) {
    const char *f = view->format ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') {
        f++;
    }
    return view->itemsize == 8 && (strcmp(f, "q") == 0 || strcmp(f, "l") == 0);
}

static int is_uint64(const Py_buffer *view) {
    const char *f = view->format ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') {
        f++;
    }
    return view->itemsize == 8 && (strcmp(f, "Q") == 0 || strcmp(f, "L") == 0);
}

/* build_needles' bytes: a header, then per state its next state for every byte
 * (int32), then per state the needles found on reaching it (uint64). */
typedef struct {
    int32_t states;
    int32_t needles;
} AutomatonHeader;

#define BYTES 256
#define MAX_NEEDLES 64

static size_t automaton_size(int32_t states) {
    return sizeof(AutomatonHeader) + (size_t)states * BYTES * sizeof(int32_t)
           + (size_t)states * sizeof(uint64_t);
}

static PyObject *build_needles(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!:build_needles", &PyList_Type, &list)) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list), capacity = 1;
    if (n > MAX_NEEDLES) {
        PyErr_Format(PyExc_ValueError, "build_needles: at most %d needles", MAX_NEEDLES);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *needle = PyList_GET_ITEM(list, k);
        if (!PyBytes_Check(needle)) {
            PyErr_SetString(PyExc_TypeError, "build_needles: needles must be bytes");
            return NULL;
        }
        capacity += PyBytes_GET_SIZE(needle);
    }
    if (capacity > INT32_MAX / BYTES) {
        PyErr_SetString(PyExc_ValueError, "build_needles: needles too long");
        return NULL;
    }
    /* The trie: next[s * BYTES + c] is -1 where no needle goes on. */
    int32_t *next = PyMem_Malloc((size_t)capacity * BYTES * sizeof(int32_t));
    uint64_t *found = PyMem_Calloc((size_t)capacity, sizeof(uint64_t));
    int32_t *fail = PyMem_Calloc((size_t)capacity, sizeof(int32_t));
    int32_t *queue = PyMem_Malloc((size_t)capacity * sizeof(int32_t));
    PyObject *result = NULL;
    if (!next || !found || !fail || !queue) {
        PyErr_NoMemory();
        goto done;
    }
    memset(next, 0xff, (size_t)capacity * BYTES * sizeof(int32_t));
    int32_t states = 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *needle = PyList_GET_ITEM(list, k);
        const unsigned char *bytes = (const unsigned char *)PyBytes_AS_STRING(needle);
        int32_t state = 0;
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(needle); i++) {
            int32_t *to = &next[state * BYTES + bytes[i]];
            if (*to < 0) {
                *to = states++;
            }
            state = *to;
        }
        found[state] |= (uint64_t)1 << k;
    }
    /* Breadth first: each state's failure link, and its missing moves taken from it. */
    Py_ssize_t head = 0, tail = 0;
    for (int c = 0; c < BYTES; c++) {
        int32_t *to = &next[c];
        if (*to < 0) {
            *to = 0;
        } else {
            fail[*to] = 0;
            queue[tail++] = *to;
        }
    }
    while (head < tail) {
        int32_t state = queue[head++];
        found[state] |= found[fail[state]];
        for (int c = 0; c < BYTES; c++) {
            int32_t *to = &next[state * BYTES + c];
            if (*to < 0) {
                *to = next[fail[state] * BYTES + c];
            } else {
                fail[*to] = next[fail[state] * BYTES + c];
                queue[tail++] = *to;
            }
        }
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)automaton_size(states));
    if (result) {
        char *out = PyBytes_AS_STRING(result);
        AutomatonHeader header = {states, (int32_t)n};
        memcpy(out, &header, sizeof header);
        out += sizeof header;
        memcpy(out, next, (size_t)states * BYTES * sizeof(int32_t));
        out += (size_t)states * BYTES * sizeof(int32_t);
        memcpy(out, found, (size_t)states * sizeof(uint64_t));
    }
done:
    PyMem_Free(next);
    PyMem_Free(found);
    PyMem_Free(fail);
    PyMem_Free(queue);
    return result;
}

static PyObject *mark_needles(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer hay, ends, automaton, out;
    PyObject *ends_object, *out_object;
    if (!PyArg_ParseTuple(args, "y*Oy*O:mark_needles", &hay, &ends_object, &automaton,
                          &out_object)) {
        return NULL;
    }
    if (PyObject_GetBuffer(ends_object, &ends, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&hay);
        PyBuffer_Release(&automaton);
        return NULL;
    }
    if (PyObject_GetBuffer(out_object, &out,
                           PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&hay);
        PyBuffer_Release(&ends);
        PyBuffer_Release(&automaton);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t texts = ends.len / 8;
    const int64_t *end_at = ends.buf;
    AutomatonHeader header = {0, 0};
    if (automaton.len >= (Py_ssize_t)sizeof header) {
        memcpy(&header, automaton.buf, sizeof header);
    }
    if (header.states < 1 || header.needles < 0 || header.needles > MAX_NEEDLES
        || (size_t)automaton.len != automaton_size(header.states)) {
        PyErr_SetString(PyExc_ValueError, "mark_needles: not an automaton of build_needles");
        goto done;
    }
    if (!is_int64(&ends) || !is_uint64(&out) || out.len != texts * 8) {
        PyErr_SetString(PyExc_ValueError,
                        "mark_needles: ends must be int64, out one uint64 per text");
        goto done;
    }
    for (Py_ssize_t i = 0; i < texts; i++) {  /* ascending, inside the haystack */
        if (end_at[i] < (i ? end_at[i - 1] + 1 : 0) || end_at[i] > hay.len) {
            PyErr_SetString(PyExc_ValueError, "mark_needles: ends out of order");
            goto done;
        }
    }
    const char *tables = (const char *)automaton.buf + sizeof header;
    const int32_t *next = (const int32_t *)tables;
    const char *found = tables + (size_t)header.states * BYTES * sizeof(int32_t);
    const unsigned char *base = hay.buf;
    uint64_t *marks = out.buf, at_start;
    memcpy(&at_start, found, sizeof at_start);  /* the empty needle: in every text */
    for (Py_ssize_t i = 0, from = 0; i < texts; from = end_at[i++] + 1) {
        int32_t state = 0;
        uint64_t holds = at_start;
        for (Py_ssize_t at = from; at < end_at[i]; at++) {
            state = next[state * BYTES + base[at]];
            if (state < 0 || state >= header.states) {  /* not build_needles' bytes */
                PyErr_SetString(PyExc_ValueError, "mark_needles: a corrupt automaton");
                goto done;
            }
            uint64_t here;
            memcpy(&here, found + (size_t)state * sizeof(uint64_t), sizeof here);
            holds |= here;
        }
        marks[i] |= holds;
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyBuffer_Release(&hay);
    PyBuffer_Release(&ends);
    PyBuffer_Release(&automaton);
    PyBuffer_Release(&out);
    return result;
}

enum { TOKEN_EXACT = 0, TOKEN_PREFIX = 1, TOKEN_INNER = 2, VALUE_INNER = 3, MODES = 4 };
/* A non-ASCII character in the lower-cased value: no ASCII stem matches across it. */
#define OTHER 0x80

typedef struct {
    const char *text;
    Py_ssize_t len;
    Py_ssize_t bit;
    int mode;
} Stem;

/* Stems by their first two bytes, so each position of a text tries only the one or
 * two stems that begin there; the token modes' and VALUE_INNER's apart, as they are
 * searched in different texts. A byte's place in a pair: its letter or digit, or
 * OTHER_BYTE for the rest (a bucket's stems are still compared in full). */
#define ALNUM 36
#define OTHER_BYTE ALNUM
#define PAIRS ((ALNUM + 1) * (ALNUM + 1))

typedef struct {
    Stem *stems;
    Py_ssize_t start[PAIRS + 1];  /* stems[start[p]..start[p + 1]) begin with pair p */
} StemTable;

static inline int byte_index(unsigned char c) {
    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }
    if (c >= '0' && c <= '9') {
        return 26 + c - '0';
    }
    return OTHER_BYTE;
}

static inline int pair_index(const char *t) {
    return byte_index((unsigned char)t[0]) * (ALNUM + 1) + byte_index((unsigned char)t[1]);
}

typedef struct {
    StemTable token, value;
} Stems;

/* The stems of the list whose mode is VALUE_INNER (or not, as `value` says) as a
 * table; -1 with an exception set if the list is malformed. */
static int build_table(PyObject *list, Py_ssize_t bits, int value, StemTable *table) {
    Py_ssize_t n = PyList_GET_SIZE(list);
    Stem *raw = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Stem));
    table->stems = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Stem));
    if (!raw || !table->stems) {
        PyMem_Free(raw);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t count[PAIRS + 1] = {0};
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        const char *text;
        Py_ssize_t len, bit;
        int mode;
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "y#ni", &text, &len, &bit, &mode)) {
            PyErr_SetString(PyExc_ValueError, "compile_stems: stems are (bytes, bit, mode)");
            goto fail;
        }
        if (len < 2 || bit < 0 || bit >= bits || mode < 0 || mode >= MODES) {
            PyErr_SetString(PyExc_ValueError, "compile_stems: a stem must have two bytes or "
                            "more, its bit below bits, its mode known");
            goto fail;
        }
        for (Py_ssize_t k = 0; k < len; k++) {
            if ((unsigned char)text[k] >= 128) {
                PyErr_SetString(PyExc_ValueError, "compile_stems: stems must be ASCII");
                goto fail;
            }
        }
        raw[i] = (Stem){text, len, bit, mode};
        if ((mode == VALUE_INNER) == value) {
            count[pair_index(text) + 1]++;
        }
    }
    table->start[0] = 0;
    for (int p = 1; p <= PAIRS; p++) {
        table->start[p] = table->start[p - 1] + count[p];
    }
    Py_ssize_t fill[PAIRS];
    memcpy(fill, table->start, sizeof fill);
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((raw[i].mode == VALUE_INNER) == value) {
            table->stems[fill[pair_index(raw[i].text)]++] = raw[i];
        }
    }
    PyMem_Free(raw);
    return 0;
fail:
    PyMem_Free(raw);
    PyMem_Free(table->stems);
    table->stems = NULL;
    return -1;
}

static inline void set_bit(uint64_t *row, Py_ssize_t bit) {
    row[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/* Does stem s (of t's pair bucket) lie at t, which has `room` bytes left? */
static inline int lies_at(const Stem *s, const char *t, Py_ssize_t room) {
    return s->len <= room && memcmp(t, s->text, (size_t)s->len) == 0;
}

/* The stems of the token modes that match token t (lower-cased, len > 0). */
static void match_token(const StemTable *table, const char *t, Py_ssize_t len, uint64_t *row) {
    for (Py_ssize_t i = 0; i + 1 < len; i++) {  /* every stem has two bytes or more */
        int p = pair_index(t + i);
        for (Py_ssize_t k = table->start[p]; k < table->start[p + 1]; k++) {
            const Stem *s = &table->stems[k];
            if ((s->mode == TOKEN_EXACT && (i != 0 || s->len != len))
                || (s->mode == TOKEN_PREFIX && i != 0)) {
                continue;
            }
            if (lies_at(s, t + i, len - i)) {
                set_bit(row, s->bit);
            }
        }
    }
}

/* The VALUE_INNER stems found in the lower-cased value v (OTHER for non-ASCII). */
static void match_value(const StemTable *table, const char *v, Py_ssize_t len, uint64_t *row) {
    for (Py_ssize_t i = 0; i + 1 < len; i++) {
        int p = pair_index(v + i);
        for (Py_ssize_t k = table->start[p]; k < table->start[p + 1]; k++) {
            const Stem *s = &table->stems[k];
            if (lies_at(s, v + i, len - i)) {
                set_bit(row, s->bit);
            }
        }
    }
}

static inline int is_ascii_alnum(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One value: its tokens through match_token, its lower-cased form through
 * match_value. `tokens` and `lowered` hold at least 2 * length bytes. */
static void match_one(const Stems *stems, PyObject *value, char *tokens, char *lowered,
                      uint64_t *row) {
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t n = PyUnicode_GET_LENGTH(value), low = 0, token = 0;
    Py_UCS4 previous = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        /* str.lower() gives ASCII letters only for ASCII, KELVIN SIGN and CAPITAL I
         * WITH DOT ABOVE (i and a combining dot): the rest are OTHER here. */
        if (c < 128) {
            lowered[low++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (c == 0x212A) {
            lowered[low++] = 'k';
        } else if (c == 0x130) {
            lowered[low++] = 'i';
            lowered[low++] = (char)OTHER;
        } else {
            lowered[low++] = (char)OTHER;
        }
        int split = !is_ascii_alnum(c) || (c >= 'A' && c <= 'Z' && previous >= 'a' && previous <= 'z');
        if (split && token > 0) {
            match_token(&stems->token, tokens, token, row);
            token = 0;
        }
        if (is_ascii_alnum(c)) {
            tokens[token++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        previous = c;
    }
    if (token > 0) {
        match_token(&stems->token, tokens, token, row);
    }
    match_value(&stems->value, lowered, low, row);
}

/* compile_stems' result: both tables, the bits they need, and the stems' list (as a
   tuple) that their Stem records point into, held for as long as they are. */
typedef struct {
    Stems tables;
    Py_ssize_t bits;
    PyObject *held;
} CompiledStems;

static const char STEMS_CAPSULE[] = "dechaff._textscan.stems";

static void release_stems(CompiledStems *compiled) {
    PyMem_Free(compiled->tables.token.stems);
    PyMem_Free(compiled->tables.value.stems);
    Py_XDECREF(compiled->held);
    PyMem_Free(compiled);
}

static void free_stems(PyObject *capsule) {
    CompiledStems *compiled = PyCapsule_GetPointer(capsule, STEMS_CAPSULE);
    if (compiled) {
        release_stems(compiled);
    }
}

static PyObject *compile_stems(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *stems;
    Py_ssize_t bits;
    if (!PyArg_ParseTuple(args, "O!n:compile_stems", &PyList_Type, &stems, &bits)) {
        return NULL;
    }
    CompiledStems *compiled = PyMem_Calloc(1, sizeof(CompiledStems));
    if (!compiled) {
        return PyErr_NoMemory();
    }
    compiled->bits = bits;
    compiled->held = PyList_AsTuple(stems);  /* the items, and so their bytes, stay */
    PyObject *capsule = NULL;
    if (compiled->held && build_table(stems, bits, 0, &compiled->tables.token) == 0
        && build_table(stems, bits, 1, &compiled->tables.value) == 0) {
        capsule = PyCapsule_New(compiled, STEMS_CAPSULE, free_stems);
    }
    if (!capsule) {
        release_stems(compiled);
    }
    return capsule;
}

static PyObject *stem_bits(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *values, *capsule, *out_object;
    if (!PyArg_ParseTuple(args, "O!OO:stem_bits", &PyList_Type, &values, &capsule,
                          &out_object)) {
        return NULL;
    }
    const CompiledStems *compiled = PyCapsule_GetPointer(capsule, STEMS_CAPSULE);
    if (!compiled) {
        return NULL;  /* not compile_stems' capsule: ValueError or TypeError, set */
    }
    Py_buffer out;
    if (PyObject_GetBuffer(out_object, &out,
                           PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    const Stems *table = &compiled->tables;
    char *tokens = NULL, *lowered = NULL;
    Py_ssize_t n = PyList_GET_SIZE(values);
    if (!is_uint64(&out) || out.ndim != 2 || out.shape[0] != n
        || 64 * out.shape[1] < compiled->bits) {
        PyErr_SetString(PyExc_ValueError, "stem_bits: out must be uint64, one row per value, "
                        "with room for the stems' bits");
        goto done;
    }
    Py_ssize_t width = out.shape[1];
    Py_ssize_t longest = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *value = PyList_GET_ITEM(values, i);
        if (!PyUnicode_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "stem_bits: values must be str");
            goto done;
        }
        if (PyUnicode_GET_LENGTH(value) > longest) {
            longest = PyUnicode_GET_LENGTH(value);
        }
    }
    tokens = PyMem_Malloc((size_t)longest + 1);
    lowered = PyMem_Malloc(2 * (size_t)longest + 1);
    if (!tokens || !lowered) {
        PyErr_NoMemory();
        goto done;
    }
    uint64_t *rows = out.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        match_one(table, PyList_GET_ITEM(values, i), tokens, lowered, rows + i * width);
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyMem_Free(tokens);
    PyMem_Free(lowered);
    PyBuffer_Release(&out);
    return result;
}

/* The columns of text_counts' rows, in counts.TEXT_COUNTS' order. */
enum { C_CHARS, C_WORDS, C_CAPS, C_PUNCT, C_DIGITS, C_UPPER, C_NEWLINES, C_SENTENCES,
       C_ENDS_SENTENCE, TEXT_COUNTS };

static inline int is_sentence_mark(Py_UCS4 c) {
    return c == '.' || c == '!' || c == '?';
}

static inline int is_closer(Py_UCS4 c) {  /* "'”’) after a sentence mark */
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == ')';
}

/* Python's str.isdecimal() and str.isupper() of one character; ASCII without a call. */
static inline int is_decimal(Py_UCS4 c) {
    return c < 128 ? c >= '0' && c <= '9' : Py_UNICODE_ISDECIMAL(c) != 0;
}

static inline int is_upper(Py_UCS4 c) {
    return c < 128 ? c >= 'A' && c <= 'Z' : Py_UNICODE_ISUPPER(c) != 0;
}

/* One text's counts, as Python reads them: words as str.split() finds them, caps as
 * str.isupper() of a word's first character, punctuation [.,;:!?], digits as re's \d,
 * upper as [A-Z], sentences as matches of [.!?]["'”’)]?(?:\s|$). */
static void count_text(PyObject *text, int64_t *row) {
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    row[C_CHARS] = n;
    /* One loop per storage width, so the compiler reads each character directly. */
#define COUNT_CHARS(CHAR)                                                               \
    {                                                                                   \
        const CHAR *data = (const CHAR *)PyUnicode_DATA(text);                          \
        int after_space = 1;                                                            \
        for (Py_ssize_t i = 0; i < n; i++) {                                            \
            const Py_UCS4 c = data[i];                                                  \
            const int space = Py_UNICODE_ISSPACE(c);                                    \
            if (!space && after_space) {                                                \
                row[C_WORDS]++;                                                         \
                row[C_CAPS] += is_upper(c);                                             \
            }                                                                           \
            after_space = space;                                                        \
            row[C_PUNCT] += c == '.' || c == ',' || c == ';' || c == ':' || c == '!'    \
                            || c == '?';                                                \
            row[C_DIGITS] += is_decimal(c);                                             \
            row[C_UPPER] += c >= 'A' && c <= 'Z';                                       \
            row[C_NEWLINES] += c == '\n';                                               \
            if (is_sentence_mark(c)) {                                                  \
                Py_ssize_t next = i + 1;                                                \
                if (next < n && is_closer(data[next])) {                                \
                    next++;                                                             \
                }                                                                       \
                row[C_SENTENCES] += next == n || Py_UNICODE_ISSPACE(data[next]);        \
            }                                                                           \
        }                                                                               \
    }
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        COUNT_CHARS(Py_UCS1)
        break;
    case PyUnicode_2BYTE_KIND:
        COUNT_CHARS(Py_UCS2)
        break;
    default:
        COUNT_CHARS(Py_UCS4)
        break;
    }
#undef COUNT_CHARS
    if (n > 0) {  /* counts._SENTENCE_CLOSERS: the closers but the apostrophe */
        Py_UCS4 last = PyUnicode_READ_CHAR(text, n - 1);
        row[C_ENDS_SENTENCE] = is_sentence_mark(last) || (is_closer(last) && last != '\'');
    }
}

/* -1 with a TypeError naming `function` unless every item of `list` is a str. */
static int all_str(PyObject *list, const char *function, const char *what) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(list, i))) {
            PyErr_Format(PyExc_TypeError, "%s: %s must be str", function, what);
            return -1;
        }
    }
    return 0;
}

/* `object` as `out`, writable C-contiguous int64 rows (n, width), zeroed; -1 with a
 * ValueError naming `function` (and nothing to release) if it is not that. */
static int zeroed_rows(PyObject *object, Py_ssize_t n, Py_ssize_t width,
                       const char *function, Py_buffer *out) {
    if (PyObject_GetBuffer(object, out, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        return -1;
    }
    if (!is_int64(out) || out->ndim != 2 || out->shape[0] != n || out->shape[1] != width) {
        PyErr_Format(PyExc_ValueError, "%s: out must be int64, %zd rows of %zd", function, n,
                     width);
        PyBuffer_Release(out);
        return -1;
    }
    memset(out->buf, 0, (size_t)out->len);
    return 0;
}

static PyObject *text_counts(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *texts, *out_object;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "O!O:text_counts", &PyList_Type, &texts, &out_object)
        || all_str(texts, "text_counts", "texts") < 0
        || zeroed_rows(out_object, PyList_GET_SIZE(texts), TEXT_COUNTS, "text_counts", &out) < 0) {
        return NULL;
    }
    int64_t *rows = out.buf;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(texts); i++) {
        count_text(PyList_GET_ITEM(texts, i), rows + i * TEXT_COUNTS);
    }
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

#define MAX_OVERLAP_WORDS 64

static int count_bits(uint64_t x) {  /* portable popcount */
    int count = 0;
    for (; x; x &= x - 1) {
        count++;
    }
    return count;
}

static inline int is_word_char(Py_UCS4 c) {  /* re's \w for str patterns */
    if (c < 128) {  /* [A-Za-z0-9_], without CPython's four Unicode lookups */
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '_';
    }
    return Py_UNICODE_ISALNUM(c) || c == '_';
}

/* Which of `words` equals text[start:end] (-1 if none). */
static int which_word(PyObject *words, int kind, const void *data, Py_ssize_t start,
                      Py_ssize_t end) {
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(words); k++) {
        PyObject *word = PyList_GET_ITEM(words, k);
        if (PyUnicode_GET_LENGTH(word) != end - start) {
            continue;
        }
        int word_kind = PyUnicode_KIND(word);
        const void *word_data = PyUnicode_DATA(word);
        Py_ssize_t i = 0;
        while (i < end - start
               && PyUnicode_READ(word_kind, word_data, i) == PyUnicode_READ(kind, data, start + i)) {
            i++;
        }
        if (i == end - start) {
            return (int)k;
        }
    }
    return -1;
}

/* One word of a text, text[start:end]: counted, and if it is one of `words`, counted
   as a hit and its bit set in *seen. */
static void count_word(PyObject *words, int kind, const void *data, Py_ssize_t start,
                       Py_ssize_t end, int64_t *row, uint64_t *seen) {
    row[0]++;
    int k = which_word(words, kind, data, start, end);
    if (k >= 0) {
        row[1]++;
        *seen |= (uint64_t)1 << k;
    }
}

/* overlap_one for an ASCII text: str.lower() changes only A-Z there, so the text is
   lower-cased a character at a time instead of copied by a call to lower(). */
static void overlap_ascii(PyObject *text, PyObject *words, int64_t *row, char *token) {
    const unsigned char *data = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), length = 0;
    uint64_t seen = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? data[i] : ' ';
        if (is_word_char(c)) {
            token[length++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (length > 0) {
            count_word(words, PyUnicode_1BYTE_KIND, token, 0, length, row, &seen);
            length = 0;
        }
    }
    row[2] = count_bits(seen);
}

static int overlap_one(PyObject *text, PyObject *words, int64_t *row) {
    PyObject *lowered = PyObject_CallMethod(text, "lower", NULL);
    if (!lowered) {
        return -1;
    }
    int kind = PyUnicode_KIND(lowered);
    const void *data = PyUnicode_DATA(lowered);
    Py_ssize_t n = PyUnicode_GET_LENGTH(lowered), start = -1;
    uint64_t seen = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        int inside = i < n && is_word_char(PyUnicode_READ(kind, data, i));
        if (inside && start < 0) {
            start = i;
        } else if (!inside && start >= 0) {
            count_word(words, kind, data, start, i, row, &seen);
            start = -1;
        }
    }
    row[2] = count_bits(seen);
    Py_DECREF(lowered);
    return 0;
}

static PyObject *word_overlap(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *texts, *words, *out_object;
    if (!PyArg_ParseTuple(args, "O!O!O:word_overlap", &PyList_Type, &texts, &PyList_Type,
                          &words, &out_object)
        || all_str(texts, "word_overlap", "texts") < 0
        || all_str(words, "word_overlap", "words") < 0) {
        return NULL;
    }
    if (PyList_GET_SIZE(words) > MAX_OVERLAP_WORDS) {
        PyErr_Format(PyExc_ValueError, "word_overlap: at most %d words", MAX_OVERLAP_WORDS);
        return NULL;
    }
    Py_buffer out;
    if (zeroed_rows(out_object, PyList_GET_SIZE(texts), 3, "word_overlap", &out) < 0) {
        return NULL;
    }
    int64_t *rows = out.buf;
    PyObject *result = Py_None;
    Py_ssize_t longest = 0;  /* of the ASCII texts: their lower-cased words go in `token` */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(texts); i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (PyUnicode_IS_ASCII(text) && PyUnicode_GET_LENGTH(text) > longest) {
            longest = PyUnicode_GET_LENGTH(text);
        }
    }
    char *token = PyMem_Malloc((size_t)longest + 1);
    if (!token) {
        PyBuffer_Release(&out);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(texts); i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (PyUnicode_IS_ASCII(text)) {
            overlap_ascii(text, words, rows + 3 * i, token);
        } else if (overlap_one(text, words, rows + 3 * i) < 0) {
            result = NULL;
            break;
        }
    }
    PyMem_Free(token);
    PyBuffer_Release(&out);
    Py_XINCREF(result);
    return result;
}

/* scan_cues' automaton, as features._packed_cues lays it out (all int32 but the
 * match masks): header, the class of each ASCII character once lower-cased, the
 * named non-ASCII characters and their classes, then transitions[state][class],
 * matched[state][class] and matched_at_end[state] (uint32). */
typedef struct {
    int32_t states, classes, named;
    int32_t residual[4];  /* classes of other decimal digits, word characters, spaces, rest */
} CueHeader;

typedef struct {
    const CueHeader *head;
    const int32_t *ascii, *named_chars, *named_classes, *transitions;
    const uint32_t *matched, *at_end;
} CueTable;

static int read_cue_table(const Py_buffer *view, CueTable *t) {
    const char *bytes = view->buf;
    if ((size_t)view->len < sizeof(CueHeader)) {
        goto bad;
    }
    t->head = (const CueHeader *)bytes;
    int64_t states = t->head->states, classes = t->head->classes, named = t->head->named;
    if (states < 1 || classes < 1 || classes > 4096 || named < 0 || named > 4096
        || states > 1000000) {
        goto bad;
    }
    int64_t cells = states * classes;
    int64_t size = (int64_t)sizeof(CueHeader)
                   + 4 * (128 + 2 * named + cells + cells + states);
    if (view->len != size) {
        goto bad;
    }
    t->ascii = (const int32_t *)(bytes + sizeof(CueHeader));
    t->named_chars = t->ascii + 128;
    t->named_classes = t->named_chars + named;
    t->transitions = t->named_classes + named;
    t->matched = (const uint32_t *)(t->transitions + cells);
    t->at_end = t->matched + cells;
    for (int k = 0; k < 4; k++) {
        if (t->head->residual[k] < 0 || t->head->residual[k] >= classes) {
            goto bad;
        }
    }
    for (int64_t i = 0; i < 128 + named; i++) {
        int32_t k = i < 128 ? t->ascii[i] : t->named_classes[i - 128];
        if (k < 0 || k >= classes) {
            goto bad;
        }
    }
    for (int64_t i = 0; i < cells; i++) {
        if (t->transitions[i] < 0 || t->transitions[i] >= states) {
            goto bad;
        }
    }
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "scan_cues: malformed automaton");
    return -1;
}

static inline int is_unsafe(PyObject *unsafe, Py_UCS4 c) {
    return PyUnicode_FindChar(unsafe, c, 0, PyUnicode_GET_LENGTH(unsafe), 1) >= 0;
}

/* The class of character c (lower-cased first); -1 if c is unsafe. */
static inline int32_t cue_class(const CueTable *t, PyObject *unsafe, Py_UCS4 c) {
    if (c < 128) {
        return t->ascii[c];
    }
    Py_UCS4 low = Py_UNICODE_TOLOWER(c);
    if (is_unsafe(unsafe, c) || is_unsafe(unsafe, low)) {
        return -1;
    }
    if (low < 128) {
        return t->ascii[low];
    }
    for (int32_t i = 0; i < t->head->named; i++) {
        if ((Py_UCS4)t->named_chars[i] == low) {
            return t->named_classes[i];
        }
    }
    if (Py_UNICODE_ISDECIMAL(low)) {
        return t->head->residual[0];
    }
    if (Py_UNICODE_ISALNUM(low) || low == '_') {
        return t->head->residual[1];
    }
    return t->head->residual[Py_UNICODE_ISSPACE(low) ? 2 : 3];
}

/* The patterns matching one text (bits), or -1 if it holds an unsafe character. */
static int64_t scan_one(const CueTable *t, PyObject *unsafe, PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int64_t classes = t->head->classes, state = 0;
    uint32_t found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t k = cue_class(t, unsafe, PyUnicode_READ(kind, data, i));
        if (k < 0) {
            return -1;
        }
        found |= t->matched[state * classes + k];
        state = t->transitions[state * classes + k];
    }
    return (int64_t)(found | t->at_end[state]);
}

static PyObject *scan_cues(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *texts, *unsafe, *limits_object, *out_object;
    Py_buffer automaton, limits, out;
    if (!PyArg_ParseTuple(args, "O!y*UOO:scan_cues", &PyList_Type, &texts, &automaton,
                          &unsafe, &limits_object, &out_object)) {
        return NULL;
    }
    CueTable table;
    if (all_str(texts, "scan_cues", "texts") < 0 || read_cue_table(&automaton, &table) < 0) {
        PyBuffer_Release(&automaton);
        return NULL;
    }
    if (PyObject_GetBuffer(limits_object, &limits, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&automaton);
        return NULL;
    }
    if (PyObject_GetBuffer(out_object, &out, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&limits);
        PyBuffer_Release(&automaton);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts), patterns = limits.len / 8;
    PyObject *result = Py_True;
    if (!is_int64(&limits) || limits.ndim != 1 || patterns > 32 || out.itemsize != 4
        || strcmp(out.format ? out.format : "B", "f") != 0 || out.ndim != 2
        || out.shape[0] != n || out.shape[1] != patterns) {
        PyErr_SetString(PyExc_ValueError, "scan_cues: limits must be int64, at most 32 of "
                        "them, and out float32, one row per text and a column per limit");
        result = NULL;
    }
    const int64_t *limit = limits.buf;
    int64_t longest = 0;
    for (Py_ssize_t k = 0; result == Py_True && k < patterns; k++) {
        longest = limit[k] > longest ? limit[k] : longest;
    }
    float *rows = out.buf;
    for (Py_ssize_t i = 0; result == Py_True && i < n; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        int64_t found = length < longest ? scan_one(&table, unsafe, text) : 0;
        if (found < 0) {
            result = Py_False;
            break;
        }
        for (Py_ssize_t k = 0; k < patterns; k++) {
            rows[i * patterns + k] = (float)((found >> k & 1) && length < limit[k]);
        }
    }
    PyBuffer_Release(&out);
    PyBuffer_Release(&limits);
    PyBuffer_Release(&automaton);
    Py_XINCREF(result);
    return result;
}

/* lexicon.py's hashing: FNV-1a over 32-bit values, then a finalizer. */
#define FNV_OFFSET 0x811C9DC5u
#define FNV_PRIME 0x01000193u
#define PAIR_OFFSET 0x9E3779B9u
#define NGRAM_START 1u
#define NGRAM_END 2u

static inline uint32_t fnv_step(uint32_t h, uint32_t value) {
    return (h ^ value) * FNV_PRIME;
}

static inline uint32_t finish_hash(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    return h;
}

typedef struct {
    uint32_t *data;
    Py_ssize_t size, capacity;
} HashList;

static int hash_push(HashList *list, uint32_t value) {
    if (list->size == list->capacity) {
        Py_ssize_t capacity = list->capacity ? 2 * list->capacity : 256;
        uint32_t *data = PyMem_Realloc(list->data, (size_t)capacity * sizeof(uint32_t));
        if (!data) {
            PyErr_NoMemory();
            return -1;
        }
        list->data = data;
        list->capacity = capacity;
    }
    list->data[list->size++] = value;
    return 0;
}

/* The token hashes of the code points data[:n] (lower-cased already, or ASCII to
   lower-case here when `ascii` is set) into `tokens`: runs of word characters (re's
   \w), a run of decimal digits inside one read as a single '0', and every other
   non-space character alone. */
static int hash_tokens(int kind, const void *data, Py_ssize_t n, int ascii, HashList *tokens) {
    int status = 0, in_word = 0, in_digits = 0;
    uint32_t h = FNV_OFFSET;
    for (Py_ssize_t i = 0; i < n && status == 0; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (ascii && c >= 'A' && c <= 'Z') {
            c += 32;
        }
        if (is_word_char(c)) {
            if (!in_word) {
                h = FNV_OFFSET;
                in_word = 1;
                in_digits = 0;
            }
            if (c < 128 ? (c >= '0' && c <= '9') : Py_UNICODE_ISDECIMAL(c)) {
                if (in_digits) {
                    continue;
                }
                in_digits = 1;
                c = '0';
            } else {
                in_digits = 0;
            }
            h = fnv_step(h, (uint32_t)c);
            continue;
        }
        if (in_word) {
            status = hash_push(tokens, h);
            in_word = 0;
        }
        if (status == 0 && !Py_UNICODE_ISSPACE(c)) {
            status = hash_push(tokens, fnv_step(FNV_OFFSET, (uint32_t)c));
        }
    }
    if (status == 0 && in_word) {
        status = hash_push(tokens, h);
    }
    return status;
}

/* The token hashes of text[:max_chars].lower() into `tokens` (emptied first). An ASCII
   text is read in place: str.lower() changes only A-Z there. */
static int token_hashes(PyObject *text, Py_ssize_t max_chars, HashList *tokens) {
    tokens->size = 0;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t n = length < max_chars ? length : max_chars;
    if (PyUnicode_IS_ASCII(text)) {
        return hash_tokens(PyUnicode_1BYTE_KIND, PyUnicode_DATA(text), n, 1, tokens);
    }
    PyObject *head = PyUnicode_Substring(text, 0, n);
    if (!head) {
        return -1;
    }
    PyObject *lowered = PyObject_CallMethod(head, "lower", NULL);
    Py_DECREF(head);
    if (!lowered) {
        return -1;
    }
    int status = hash_tokens(PyUnicode_KIND(lowered), PyUnicode_DATA(lowered),
                             PyUnicode_GET_LENGTH(lowered), 0, tokens);
    Py_DECREF(lowered);
    return status;
}

/* A text's slots onto `slots`: its tokens, then the pairs of neighbouring tokens with
   the text's start and end as tokens. */
static int push_slots(const HashList *tokens, uint32_t mask, HashList *slots) {
    for (Py_ssize_t k = 0; k < tokens->size; k++) {
        if (hash_push(slots, finish_hash(tokens->data[k]) & mask) < 0) {
            return -1;
        }
    }
    uint32_t previous = NGRAM_START;
    for (Py_ssize_t k = 0; k <= tokens->size; k++) {
        uint32_t next = k < tokens->size ? tokens->data[k] : NGRAM_END;
        uint32_t pair = fnv_step(fnv_step(fnv_step(FNV_OFFSET, PAIR_OFFSET), previous), next);
        if (hash_push(slots, finish_hash(pair) & mask) < 0) {
            return -1;
        }
        previous = next;
    }
    return 0;
}

static PyObject *ngram_slots(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *texts;
    Py_ssize_t max_chars;
    int bits;
    if (!PyArg_ParseTuple(args, "O!ni:ngram_slots", &PyList_Type, &texts, &max_chars, &bits)
        || all_str(texts, "ngram_slots", "texts") < 0) {
        return NULL;
    }
    if (bits < 1 || bits > 31 || max_chars < 0) {
        PyErr_SetString(PyExc_ValueError, "ngram_slots: bits must be 1 to 31, max_chars >= 0");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    PyObject *counts = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (!counts) {
        return NULL;
    }
    int64_t *count = (int64_t *)PyBytes_AS_STRING(counts);
    HashList tokens = {NULL, 0, 0}, slots = {NULL, 0, 0};
    uint32_t mask = (uint32_t)((1u << bits) - 1u);
    int status = 0;
    for (Py_ssize_t i = 0; i < n && status == 0; i++) {
        Py_ssize_t before = slots.size;
        status = token_hashes(PyList_GET_ITEM(texts, i), max_chars, &tokens);
        if (status == 0) {
            status = push_slots(&tokens, mask, &slots);
        }
        count[i] = (int64_t)(slots.size - before);
    }
    PyObject *result = NULL;
    if (status == 0) {
        PyObject *packed = PyBytes_FromStringAndSize(
            (const char *)slots.data, slots.size * (Py_ssize_t)sizeof(int32_t));
        result = packed ? PyTuple_Pack(2, counts, packed) : NULL;
        Py_XDECREF(packed);
    }
    PyMem_Free(tokens.data);
    PyMem_Free(slots.data);
    Py_DECREF(counts);
    return result;
}

static PyMethodDef methods[] = {
    {"build_needles", build_needles, METH_VARARGS,
     "build_needles(needles): the automaton (bytes) that mark_needles runs, for up to 64 "
     "needles (bytes)."},
    {"mark_needles", mark_needles, METH_VARARGS,
     "mark_needles(haystack, ends, automaton, out): out[i] |= bit k for each needle k "
     "that text i of the joined haystack (texts ending at ends) holds."},
    {"text_counts", text_counts, METH_VARARGS,
     "text_counts(texts, out): per text, its characters, words, capitalized words, "
     "punctuation, digits, ASCII capitals, line breaks, sentence ends, and whether it "
     "ends one (out: int64, TEXT_COUNTS columns)."},
    {"word_overlap", word_overlap, METH_VARARGS,
     "word_overlap(texts, words, out): per lower-cased text, its \\w+ words, how many are "
     "among words (at most 64), and how many distinct ones of words it holds."},
    {"compile_stems", compile_stems, METH_VARARGS,
     "compile_stems(stems, bits) -> capsule: the (stem, bit, mode) list, each bit below "
     "bits, as stem_bits reads it (modes: 0 token equals, 1 token starts with, 2 token "
     "holds, 3 the lower-cased value holds)."},
    {"stem_bits", stem_bits, METH_VARARGS,
     "stem_bits(values, compiled, out): OR into out[i] the bit of each compiled stem that "
     "value i holds."},
    {"scan_cues", scan_cues, METH_VARARGS,
     "scan_cues(texts, automaton, unsafe, limits, out): out[i, k] = 1 where pattern k "
     "(dfa.py) matches lower-cased text i, shorter than limits[k]; False if a text holds "
     "a character of unsafe."},
    {"ngram_slots", ngram_slots, METH_VARARGS,
     "ngram_slots(texts, max_chars, bits) -> (counts, slots): each text's hashed word "
     "n-grams (lexicon.py): counts (int64 bytes) per text, slots (int32 bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_textscan",
    "Which texts hold which strings (needles.py); which stems a value holds, and the "
    "counts of texts (counts.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__textscan(void) {
    PyObject *module = PyModule_Create(&module_def);
    if (module && (PyModule_AddIntConstant(module, "TOKEN_EXACT", TOKEN_EXACT) < 0
                   || PyModule_AddIntConstant(module, "TOKEN_PREFIX", TOKEN_PREFIX) < 0
                   || PyModule_AddIntConstant(module, "TOKEN_INNER", TOKEN_INNER) < 0
                   || PyModule_AddIntConstant(module, "VALUE_INNER", VALUE_INNER) < 0
                   || PyModule_AddIntConstant(module, "TEXT_COUNTS", TEXT_COUNTS) < 0)) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
