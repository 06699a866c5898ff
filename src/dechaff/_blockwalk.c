/* The blockifier's walk (blocks._Walker) over libxml2's nodes instead of lxml's proxies.
 *
 * walk(root, max_blocks) returns (blocks, tags, parents, attrs, hidden): what
 * blocks._Walker.run builds, the same values, from the tree under the lxml element
 * `root`. The rules (which tags start a block, which are skipped, headings, lists...)
 * stay in blocks.py, which passes them once to configure(); the arithmetic of the
 * text (white space collapsed as str.split does it, letters as str.isalnum sees them)
 * uses CPython's own character tables, so the texts are equal to the Python walk's.
 *
 * facts(root, tags, attributes, text_if) returns, for each element under `root`
 * (itself included) whose tag is one of `tags`, in document order (as
 * root.iter(*tags)), a tuple (tag, {attribute: value} of those of `attributes` it
 * has, text): the text is lxml's element.text ("" for None) where the element's
 * attribute text_if[0] is text_if[1], else "" unread (a page's scripts can hold
 * megabytes). It is what page.py reads the title, URL and page types from, without
 * lxml's iterator and a proxy per element. None where the page needs the Python
 * version (a namespace, an attribute of several parts, bytes that are not UTF-8).
 *
 * The walk reads the tree lxml parsed through lxml's public object layout (an
 * _Element holds its libxml2 node, see lxml/includes/etreepublic.pxd) and libxml2's
 * public node records (libxml/tree.h), declared below, so building this needs neither
 * lxml's nor libxml2's headers. Anything this walk does not expect (a namespace, an
 * entity reference, an attribute of several parts, bytes that are not UTF-8) makes it
 * return None, and blocks.py walks that page in Python: the result is the same either
 * way, only the speed differs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT_EX, READONLY: a slot's member descriptor */
#include <stdint.h>
#include <string.h>

/* ---- libxml2's and lxml's public records (the fields read here) ---- */

enum {
    NODE_ELEMENT = 1,
    NODE_TEXT = 3,
    NODE_CDATA = 4,
    NODE_PI = 7,
    NODE_COMMENT = 8,
};

typedef struct XmlAttr XmlAttr;

typedef struct XmlNode {
    void *private_;
    int type;
    const unsigned char *name;
    struct XmlNode *children;
    struct XmlNode *last;
    struct XmlNode *parent;
    struct XmlNode *next;
    struct XmlNode *prev;
    void *doc;
    void *ns;
    unsigned char *content;
    XmlAttr *properties;
} XmlNode;

struct XmlAttr {
    void *private_;
    int type;
    const unsigned char *name;
    XmlNode *children;
    XmlNode *last;
    XmlNode *parent;
    XmlAttr *next;
    XmlAttr *prev;
    void *doc;
    void *ns;
};

typedef struct {
    PyObject_HEAD
    PyObject *doc;
    XmlNode *node;
} LxmlElement;

/* ---- the rules, from blocks.py (configure) ---- */

/* Bits of a tag's flags; blocks.py reads them from this module. */
enum {
    TAG_BLOCK = 1 << 0,
    TAG_SKIP = 1 << 1,
    TAG_CELL = 1 << 2,
    TAG_LIST = 1 << 3,  /* ul ol menu dir */
    TAG_DL = 1 << 4,
    TAG_LINK = 1 << 5,  /* a */
    TAG_BREAK = 1 << 6,  /* br */
    TAG_PRE = 1 << 7,
    TAG_ROW = 1 << 8,  /* tr */
    TAG_TABLE = 1 << 9,
    TAG_ITEM = 1 << 10,  /* li dd dt */
    TAG_QUOTE = 1 << 11,  /* blockquote */
    TAG_ORDERED = 1 << 12,  /* ol */
};
#define HEADING_SHIFT 13  /* a heading's level, 1-6, in the three bits from here */
#define HEADING_MASK 7

#define MAX_WORD_ATTRIBUTES 8
#define MAX_HIDDEN_STYLES 8

enum { KIND_HEADING, KIND_PARAGRAPH, KIND_ITEM, KIND_ROW, KIND_CODE, KIND_QUOTE, N_KINDS };

#define BLOCK_FIELDS 9  /* Block's fields, in the order make_block passes them */

static struct {
    PyObject *block_type;  /* blocks.Block */
    /* Where each field's slot lies in a Block, when blocks.py says the fields are plain
       slots that __init__ only assigns (0: Blocks are made by calling the type). */
    Py_ssize_t slot_offsets[BLOCK_FIELDS];
    PyObject *tag_flags;  /* dict: lower-case tag -> flags */
    PyObject *kinds[N_KINDS];  /* the kind names, in the order of the enum */
    PyObject *word_attributes;  /* tuple of str: the attributes an attrs string joins */
    const char *word_names[MAX_WORD_ATTRIBUTES];
    Py_ssize_t n_words;
    PyObject *marker;  /* str: the label marker's attribute */
    const char *marker_name;
    PyObject *marks;  /* (content, chrome): the marker's values */
    const char *content_name, *chrome_name;
    PyObject *hidden_styles;
    const char *styles[MAX_HIDDEN_STYLES];
    Py_ssize_t n_styles;
    PyObject *empty;  /* "" */
    int ready;
} rules;

/* Private-use sentinels for line and cell breaks, as blocks._LINE_BREAK and
   _CELL_BREAK, in UTF-8 and as code points. */
static const char LINE_BREAK_UTF8[] = "\xee\x80\x80";
static const char CELL_BREAK_UTF8[] = "\xee\x80\x81";
#define LINE_BREAK 0xE000
#define CELL_BREAK 0xE001
static const Py_UCS4 CELL_SEPARATOR[] = {' ', '|', ' '};

/* Stack placeholders, as blocks._SKIPPED and _NOT_ELEMENT. */
#define SKIPPED (-1)
#define NOT_ELEMENT (-2)

/* ---- growable arrays ---- */

typedef struct {
    int *items;
    Py_ssize_t len, cap;
} Ints;

static int ints_push(Ints *a, int value) {
    if (a->len == a->cap) {
        Py_ssize_t cap = a->cap ? 2 * a->cap : 64;
        int *items = PyMem_Realloc(a->items, cap * sizeof(int));
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        a->items = items;
        a->cap = cap;
    }
    a->items[a->len++] = value;
    return 0;
}

typedef struct {
    char *bytes;
    Py_ssize_t len, cap;
} Bytes;

static int bytes_add(Bytes *b, const char *data, Py_ssize_t size) {
    if (b->len + size > b->cap) {
        Py_ssize_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + size) {
            cap *= 2;
        }
        char *bytes = PyMem_Realloc(b->bytes, cap);
        if (!bytes) {
            PyErr_NoMemory();
            return -1;
        }
        b->bytes = bytes;
        b->cap = cap;
    }
    memcpy(b->bytes + b->len, data, size);
    b->len += size;
    return 0;
}

/* ---- tag names, cached per walk by the name's pointer ---- */

#define TAG_SLOTS 1024  /* a power of two; past half full, names are looked up afresh */

typedef struct {
    const unsigned char *name;
    PyObject *tag;  /* borrowed from the walk's tags list */
    int flags;
} TagSlot;

/* ---- the walk ---- */

typedef struct {
    PyObject *blocks, *tags, *parents, *attrs, *hidden;  /* results */
    Ints flags;  /* per frame: its tag's flags */
    Ints frame_hidden;  /* per frame: it or an ancestor is hidden (Frames.hidden) */
    Ints stack;  /* open frames, or SKIPPED / NOT_ELEMENT */
    Ints block_stack;  /* open block-level frames */
    Ints text_frames;
    Ints markers;  /* pairs: a marker's frame, the state outside it */
    Bytes text;  /* the block being read, UTF-8 */
    Py_ssize_t link_chars, marked_chars, max_blocks;
    int verbatim, links, marked;
    int fallback;  /* set when the page needs the Python walk */
    int stop;  /* max_blocks reached */
    TagSlot slots[TAG_SLOTS];
    int slots_used;
} Walk;

/* Code points in UTF-8 bytes (the text is checked when decoded at the flush). */
static Py_ssize_t code_points(const unsigned char *s, Py_ssize_t size) {
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        n += (s[i] & 0xC0) != 0x80;
    }
    return n;
}

/* Write at out[at:] the str.split() words of code[start:end] joined by single spaces;
   returns the end of what was written. */
static Py_ssize_t collapse(const Py_UCS4 *code, Py_ssize_t start, Py_ssize_t end,
                           Py_UCS4 *out, Py_ssize_t at) {
    int pending = 0;
    Py_ssize_t begun = at;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 ch = code[i];
        if (Py_UNICODE_ISSPACE(ch)) {
            pending = at > begun;
            continue;
        }
        if (pending) {
            out[at++] = ' ';
            pending = 0;
        }
        out[at++] = ch;
    }
    return at;
}

/* Collapse each part of code[0:n] between `separator`s, and join the non-empty
   parts with `joiner` (joiner_len code points). Returns the output's length. */
static Py_ssize_t split_collapse_join(const Py_UCS4 *code, Py_ssize_t n, Py_UCS4 separator,
                                      const Py_UCS4 *joiner, Py_ssize_t joiner_len,
                                      Py_UCS4 *out) {
    Py_ssize_t at = 0, start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n && code[i] != separator) {
            continue;
        }
        Py_ssize_t mark = at;
        if (at > 0) {
            memcpy(out + at, joiner, joiner_len * sizeof(Py_UCS4));
            at += joiner_len;
        }
        Py_ssize_t end = collapse(code, start, i, out, at);
        at = end > at ? end : mark;  /* an empty part is dropped with its joiner */
        start = i + 1;
    }
    return at;
}

/* blocks._normalize. `out` holds 3 * n + 1 code points. */
static Py_ssize_t normalize(const Py_UCS4 *code, Py_ssize_t n, int verbatim, Py_UCS4 *out,
                            Py_UCS4 *scratch) {
    int lines = 0, cells = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        lines |= code[i] == LINE_BREAK;
        cells |= code[i] == CELL_BREAK;
    }
    if (verbatim) {
        Py_ssize_t start = 0, end = n;
        while (start < end && (code[start] == '\n' || code[start] == LINE_BREAK)) {
            start++;
        }
        while (end > start && (code[end - 1] == '\n' || code[end - 1] == LINE_BREAK)) {
            end--;
        }
        for (Py_ssize_t i = start; i < end; i++) {
            Py_UCS4 ch = code[i];
            out[i - start] = ch == LINE_BREAK ? '\n' : ch == CELL_BREAK ? ' ' : ch;
        }
        return end - start;
    }
    if (!lines && !cells) {
        return collapse(code, 0, n, out, 0);
    }
    const Py_UCS4 newline = '\n';
    Py_ssize_t len = split_collapse_join(code, n, LINE_BREAK, &newline, 1, scratch);
    int cells_left = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        cells_left |= scratch[i] == CELL_BREAK;
    }
    if (!cells_left) {
        memcpy(out, scratch, len * sizeof(Py_UCS4));
        return len;
    }
    return split_collapse_join(scratch, len, CELL_BREAK, CELL_SEPARATOR, 3, out);
}

static int frame_flags(Walk *w, int frame) {
    return frame >= 0 && frame < w->flags.len ? w->flags.items[frame] : 0;
}

/* blocks._kind: the new block's kind, level, orderedness and group. */
static int block_kind(Walk *w, int owner, int *level, int *ordered, int *group) {
    int flags = frame_flags(w, owner);
    *level = 0;
    *ordered = 0;
    *group = -1;
    int heading = (flags >> HEADING_SHIFT) & HEADING_MASK;
    if (heading) {
        *level = heading;
        return KIND_HEADING;
    }
    if (w->verbatim > 0) {
        return KIND_CODE;
    }
    if (flags & TAG_ROW) {
        for (Py_ssize_t i = w->stack.len - 1; i >= 0; i--) {
            if (frame_flags(w, w->stack.items[i]) & TAG_TABLE) {
                *group = w->stack.items[i];
                break;
            }
        }
        return KIND_ROW;
    }
    if (flags & TAG_ITEM) {
        int lists = 0;
        for (Py_ssize_t i = 0; i < w->stack.len; i++) {
            if (frame_flags(w, w->stack.items[i]) & (TAG_LIST | TAG_DL)) {
                lists++;
                *group = w->stack.items[i];
            }
        }
        *ordered = *group >= 0 && (frame_flags(w, *group) & TAG_ORDERED);
        *level = lists > 1 ? lists : 1;
        return KIND_ITEM;
    }
    for (Py_ssize_t i = 0; i < w->block_stack.len; i++) {
        if (frame_flags(w, w->block_stack.items[i]) & TAG_QUOTE) {
            return KIND_QUOTE;
        }
    }
    return KIND_PARAGRAPH;
}

/* A Block with its slots set straight from args (new references), as the dataclass's
   __init__ would assign them, without running it. */
static PyObject *new_block(PyObject *const *args) {
    PyTypeObject *type = (PyTypeObject *)rules.block_type;
    PyObject *block = type->tp_alloc(type, 0);
    for (int i = 0; block && i < BLOCK_FIELDS; i++) {
        Py_INCREF(args[i]);
        *(PyObject **)((char *)block + rules.slot_offsets[i]) = args[i];
    }
    return block;
}

static int make_block(Walk *w, PyObject *text, PyObject *frames_used, Py_ssize_t length,
                      Py_ssize_t link_chars, Py_ssize_t marked_chars) {
    int owner = w->block_stack.len ? w->block_stack.items[w->block_stack.len - 1] : 0;
    int level, ordered, group;
    int kind = block_kind(w, owner, &level, &ordered, &group);
    PyObject *args[BLOCK_FIELDS] = {
        text, rules.kinds[kind], PyLong_FromLong(owner), frames_used,
        PyLong_FromSsize_t(link_chars < length ? link_chars : length),
        PyLong_FromLong(level), ordered ? Py_True : Py_False, PyLong_FromLong(group),
        PyLong_FromSsize_t(marked_chars < length ? marked_chars : length),
    };
    PyObject *block = NULL;
    if (args[2] && args[4] && args[5] && args[7] && args[8]) {
        block = rules.slot_offsets[0] ? new_block(args)
                                      : PyObject_Vectorcall(rules.block_type, args, BLOCK_FIELDS, NULL);
    }
    Py_XDECREF(args[2]);
    Py_XDECREF(args[4]);
    Py_XDECREF(args[5]);
    Py_XDECREF(args[7]);
    Py_XDECREF(args[8]);
    if (!block) {
        return -1;
    }
    int status = PyList_Append(w->blocks, block);
    Py_DECREF(block);
    return status;
}

static int flush_text(Walk *w);

/* _Walker.flush, then the walk's check after it: stop once max_blocks blocks are made. */
static int flush(Walk *w) {
    int status = flush_text(w);
    w->stop = status == 0 && PyList_GET_SIZE(w->blocks) >= w->max_blocks;
    return status;
}

/* UTF-8 bytes as str; NULL with *fallback set and no error if they are not UTF-8
   (the Python version then reads the page, and raises what lxml raises). */
static PyObject *decode_utf8(const char *bytes, Py_ssize_t size, int *fallback) {
    PyObject *text = PyUnicode_DecodeUTF8(bytes, size, NULL);
    if (!text && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
        *fallback = 1;
    }
    return text;
}

/* _Walker.flush: the text read so far becomes a Block if it holds a letter or digit. */
static int flush_text(Walk *w) {
    PyObject *raw = decode_utf8(w->text.bytes, w->text.len, &w->fallback);
    Py_ssize_t link_chars = w->link_chars, marked_chars = w->marked_chars;
    w->text.len = 0;
    w->link_chars = w->marked_chars = 0;
    if (!raw) {
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(raw);
    Py_UCS4 *code = PyUnicode_AsUCS4Copy(raw);
    Py_DECREF(raw);
    if (!code) {
        return -1;
    }
    int blank = 1;
    for (Py_ssize_t i = 0; i < n && blank; i++) {
        blank = Py_UNICODE_ISSPACE(code[i]);
    }
    if (blank) {
        w->text_frames.len = 0;
        PyMem_Free(code);
        return 0;
    }
    PyObject *frames_used = PyTuple_New(w->text_frames.len);
    Py_UCS4 *out = PyMem_Malloc((4 * n + 2) * sizeof(Py_UCS4));
    if (!frames_used || !out) {
        Py_XDECREF(frames_used);
        PyMem_Free(out);
        PyMem_Free(code);
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        return -1;
    }
    for (Py_ssize_t i = 0; i < w->text_frames.len; i++) {
        PyObject *frame = PyLong_FromLong(w->text_frames.items[i]);
        if (!frame) {
            Py_DECREF(frames_used);
            PyMem_Free(out);
            PyMem_Free(code);
            return -1;
        }
        PyTuple_SET_ITEM(frames_used, i, frame);
    }
    w->text_frames.len = 0;
    Py_ssize_t length = normalize(code, n, w->verbatim > 0, out, out + 3 * n + 1);
    PyMem_Free(code);
    int alnum = 0;
    for (Py_ssize_t i = 0; i < length && !alnum; i++) {
        alnum = Py_UNICODE_ISALNUM(out[i]);
    }
    int status = 0;
    if (alnum) {
        PyObject *text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, length);
        status = text ? make_block(w, text, frames_used, length, link_chars, marked_chars)
                      : -1;
        Py_XDECREF(text);
    }
    Py_DECREF(frames_used);
    PyMem_Free(out);
    return status;
}

/* Add the text of the run of text nodes from `node` (an element's text, or a node's
   tail), as read from `frame`. */
static int add_text(Walk *w, XmlNode *node, int frame) {
    Py_ssize_t before = w->text.len;
    for (; node && (node->type == NODE_TEXT || node->type == NODE_CDATA); node = node->next) {
        if (node->content && node->content[0]) {
            if (bytes_add(&w->text, (const char *)node->content,
                          (Py_ssize_t)strlen((const char *)node->content)) < 0) {
                return -1;
            }
        }
    }
    Py_ssize_t added = w->text.len - before;
    if (!added) {
        return 0;
    }
    if (!w->text_frames.len || w->text_frames.items[w->text_frames.len - 1] != frame) {
        if (ints_push(&w->text_frames, frame) < 0) {
            return -1;
        }
    }
    if (w->links || w->marked) {
        Py_ssize_t chars = code_points((const unsigned char *)w->text.bytes + before, added);
        if (w->links) {
            w->link_chars += chars;
        }
        if (w->marked) {
            w->marked_chars += chars;
        }
    }
    return 0;
}

/* The tag (lower case) and flags of an element: a new reference, or NULL. */
static PyObject *tag_of(Walk *w, const unsigned char *name, int *flags) {
    size_t hash = ((uintptr_t)name >> 3) & (TAG_SLOTS - 1);
    for (;;) {
        TagSlot *slot = &w->slots[hash];
        if (slot->name == name) {
            *flags = slot->flags;
            Py_INCREF(slot->tag);
            return slot->tag;
        }
        if (!slot->name) {
            break;
        }
        hash = (hash + 1) & (TAG_SLOTS - 1);
    }
    PyObject *raw = decode_utf8((const char *)name, (Py_ssize_t)strlen((const char *)name),
                                &w->fallback);
    if (!raw) {
        return NULL;
    }
    PyObject *tag = PyObject_CallMethod(raw, "lower", NULL);
    Py_DECREF(raw);
    if (!tag) {
        return NULL;
    }
    PyUnicode_InternInPlace(&tag);
    PyObject *value = PyDict_GetItemWithError(rules.tag_flags, tag);
    if (!value && PyErr_Occurred()) {
        Py_DECREF(tag);
        return NULL;
    }
    *flags = value ? (int)PyLong_AsLong(value) : 0;
    if (w->slots_used < TAG_SLOTS / 2) {  /* the slot holds a reference of its own */
        TagSlot *slot = &w->slots[hash];
        slot->name = name;
        slot->tag = tag;
        slot->flags = *flags;
        Py_INCREF(tag);
        w->slots_used++;
    }
    return tag;
}

/* An attribute's value as lxml gives it (libxml2's xmlGetNsProp): its one text child,
   or "" without children. NULL, with *fallback set, for anything else. */
static const unsigned char *attribute_value(const XmlAttr *attribute, int *fallback) {
    const XmlNode *child = attribute->children;
    if (!child) {
        return (const unsigned char *)"";
    }
    if (child->next || (child->type != NODE_TEXT && child->type != NODE_CDATA)) {
        *fallback = 1;
        return NULL;
    }
    return child->content ? child->content : (const unsigned char *)"";
}

/* What the walk reads of an element's attributes; each the first of its name, as
   lxml's element.get() and items() give it. */
typedef struct {
    int any;
    int hidden;
    const unsigned char *words[MAX_WORD_ATTRIBUTES];
    const unsigned char *marker;
} Attributes;

/* blocks._hidden, on the style value: without its spaces, it holds a hidden style. */
static int hidden_style(const unsigned char *style) {
    size_t size = strlen((const char *)style);
    char stack_copy[256];
    char *squeezed = size < sizeof stack_copy ? stack_copy : PyMem_Malloc(size + 1);
    if (!squeezed) {
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < size; i++) {
        if (style[i] != ' ') {
            squeezed[n++] = (char)style[i];
        }
    }
    squeezed[n] = '\0';
    int hidden = 0;
    for (Py_ssize_t k = 0; k < rules.n_styles && !hidden; k++) {
        hidden = strstr(squeezed, rules.styles[k]) != NULL;
    }
    if (squeezed != stack_copy) {
        PyMem_Free(squeezed);
    }
    return hidden;
}

static int read_attributes(Walk *w, const XmlNode *node, Attributes *out) {
    memset(out, 0, sizeof *out);
    int seen_aria = 0, seen_style = 0;
    for (const XmlAttr *a = node->properties; a; a = a->next) {
        if (a->ns) {
            w->fallback = 1;  /* lxml names it {namespace}name */
            return -1;
        }
        const unsigned char *value = attribute_value(a, &w->fallback);
        if (!value) {
            return -1;
        }
        const char *name = (const char *)a->name;
        out->any = 1;
        for (Py_ssize_t k = 0; k < rules.n_words; k++) {
            if (!out->words[k] && strcmp(name, rules.word_names[k]) == 0) {
                out->words[k] = value;
            }
        }
        if (!out->marker && strcmp(name, rules.marker_name) == 0) {
            out->marker = value;
        }
        /* blocks._hidden: the hidden attribute, aria-hidden="true", a hidden style. */
        if (strcmp(name, "hidden") == 0) {
            out->hidden = 1;
        } else if (!seen_aria && strcmp(name, "aria-hidden") == 0) {
            seen_aria = 1;
            out->hidden |= strcmp((const char *)value, "true") == 0;
        } else if (!seen_style && strcmp(name, "style") == 0) {
            seen_style = 1;
            out->hidden |= hidden_style(value);
        }
    }
    return 0;
}

/* The frame's attrs string: its word attributes' non-empty values, space-separated. */
static PyObject *attrs_string(Walk *w, const Attributes *attributes) {
    Bytes joined = {0};
    for (Py_ssize_t k = 0; k < rules.n_words; k++) {
        const unsigned char *value = attributes->words[k];
        if (!value || !value[0]) {
            continue;
        }
        if ((joined.len && bytes_add(&joined, " ", 1) < 0) ||
            bytes_add(&joined, (const char *)value, strlen((const char *)value)) < 0) {
            PyMem_Free(joined.bytes);
            return NULL;
        }
    }
    if (!joined.len) {
        Py_INCREF(rules.empty);
        return rules.empty;
    }
    PyObject *text = decode_utf8(joined.bytes, joined.len, &w->fallback);
    PyMem_Free(joined.bytes);
    return text;
}

static int append_long(PyObject *list, long value) {
    PyObject *number = PyLong_FromLong(value);
    if (!number) {
        return -1;
    }
    int status = PyList_Append(list, number);
    Py_DECREF(number);
    return status;
}

static int top(const Ints *stack, int otherwise) {
    return stack->len ? stack->items[stack->len - 1] : otherwise;
}

/* The start of a node; *descend says whether its children are walked. */
static int start(Walk *w, XmlNode *node, int *descend) {
    *descend = 0;
    if (node->type != NODE_ELEMENT) {  /* a comment or processing instruction */
        return ints_push(&w->stack, NOT_ELEMENT);
    }
    if (node->ns) {
        w->fallback = 1;
        return -1;
    }
    int flags;
    PyObject *tag = tag_of(w, node->name, &flags);
    if (!tag) {
        return -1;
    }
    Attributes attributes = {0};
    if (!(flags & TAG_SKIP) && read_attributes(w, node, &attributes) < 0) {
        Py_DECREF(tag);
        return -1;
    }
    /* Hidden inline elements are skipped; hidden block-level ones are walked and
       flagged (blocks.HIDDEN_STYLES). */
    if ((flags & TAG_SKIP) || (attributes.hidden && !(flags & TAG_BLOCK))) {
        Py_DECREF(tag);
        return ints_push(&w->stack, SKIPPED);
    }
    int frame = (int)PyList_GET_SIZE(w->tags);
    PyObject *attrs = attrs_string(w, &attributes);
    if (!attrs) {
        Py_DECREF(tag);
        return -1;
    }
    int status = PyList_Append(w->attrs, attrs);
    Py_DECREF(attrs);
    if (status == 0) {
        status = PyList_Append(w->tags, tag);
    }
    Py_DECREF(tag);
    if (status < 0) {
        return -1;
    }
    if (attributes.marker) {
        const char *mark = (const char *)attributes.marker;
        int content = strcmp(mark, rules.content_name) == 0;
        if (content || strcmp(mark, rules.chrome_name) == 0) {
            if (ints_push(&w->markers, frame) < 0 || ints_push(&w->markers, w->marked) < 0) {
                return -1;
            }
            w->marked = content;
        }
    }
    int parent = top(&w->stack, -1);
    int hidden = attributes.hidden || (parent >= 0 && w->frame_hidden.items[parent]);
    if (append_long(w->parents, parent) < 0 || ints_push(&w->flags, flags) < 0 ||
        append_long(w->hidden, hidden) < 0 || ints_push(&w->frame_hidden, hidden) < 0) {
        return -1;
    }
    if (flags & TAG_BLOCK) {
        if (w->text.len && (flush(w) < 0 || w->stop)) {
            return w->stop ? 0 : -1;
        }
        if (ints_push(&w->block_stack, frame) < 0) {
            return -1;
        }
        w->verbatim += (flags & TAG_PRE) != 0;
    } else if (flags & TAG_LINK) {
        w->links++;
    } else if (flags & TAG_BREAK) {
        if (bytes_add(&w->text, LINE_BREAK_UTF8, 3) < 0) {
            return -1;
        }
    } else if ((flags & TAG_CELL) && w->text.len) {
        if (bytes_add(&w->text, CELL_BREAK_UTF8, 3) < 0) {
            return -1;
        }
    }
    if (ints_push(&w->stack, frame) < 0) {
        return -1;
    }
    *descend = 1;
    return add_text(w, node->children, frame);
}

/* The end of a node, then its tail. */
static int end(Walk *w, XmlNode *node) {
    int frame = w->stack.items[--w->stack.len];
    if (frame == NOT_ELEMENT) {  /* (the Python walk reads no tail after those) */
        return 0;
    }
    if (frame != SKIPPED) {
        if (w->markers.len && w->markers.items[w->markers.len - 2] == frame) {
            w->marked = w->markers.items[w->markers.len - 1];
            w->markers.len -= 2;
        }
        int flags = w->flags.items[frame];
        if (flags & TAG_BLOCK) {
            if (w->text.len && (flush(w) < 0 || w->stop)) {
                return w->stop ? 0 : -1;
            }
            w->verbatim -= (flags & TAG_PRE) != 0;
            w->block_stack.len--;
        } else if (flags & TAG_LINK) {
            w->links--;
        }
    }
    return add_text(w, node->next, top(&w->stack, 0));
}

/* The first node from `node` on that lxml's iterwalk visits (elements, comments,
   processing instructions); NULL at the end, or with w->fallback set for a node
   this walk does not know. */
static XmlNode *visited(Walk *w, XmlNode *node) {
    for (; node; node = node->next) {
        switch (node->type) {
        case NODE_ELEMENT:
        case NODE_COMMENT:
        case NODE_PI:
            return node;
        case NODE_TEXT:
        case NODE_CDATA:
            continue;
        default:
            w->fallback = 1;
            return NULL;
        }
    }
    return NULL;
}

/* The whole walk, in document order, without recursion. */
static int run(Walk *w, XmlNode *root) {
    XmlNode *node = root;
    for (;;) {
        int descend;
        if (start(w, node, &descend) < 0) {
            return -1;
        }
        if (w->stop) {
            return 0;
        }
        XmlNode *child = descend ? visited(w, node->children) : NULL;
        if (w->fallback) {
            return -1;
        }
        if (child) {
            node = child;
            continue;
        }
        for (;;) {
            if (end(w, node) < 0) {
                return -1;
            }
            if (w->stop) {
                return 0;
            }
            if (node == root) {
                return w->text.len ? flush(w) : 0;
            }
            XmlNode *next = visited(w, node->next);
            if (w->fallback) {
                return -1;
            }
            if (next) {
                node = next;
                break;
            }
            node = node->parent;
        }
    }
}

static void release_walk(Walk *w) {
    PyMem_Free(w->flags.items);
    PyMem_Free(w->frame_hidden.items);
    PyMem_Free(w->stack.items);
    PyMem_Free(w->block_stack.items);
    PyMem_Free(w->text_frames.items);
    PyMem_Free(w->markers.items);
    PyMem_Free(w->text.bytes);
    for (int i = 0; i < TAG_SLOTS; i++) {
        if (w->slots[i].name) {
            Py_DECREF(w->slots[i].tag);
        }
    }
    Py_XDECREF(w->blocks);
    Py_XDECREF(w->tags);
    Py_XDECREF(w->parents);
    Py_XDECREF(w->attrs);
    Py_XDECREF(w->hidden);
}

static PyObject *walk(PyObject *module, PyObject *args) {
    PyObject *root;
    Py_ssize_t max_blocks;
    if (!PyArg_ParseTuple(args, "On:walk", &root, &max_blocks)) {
        return NULL;
    }
    if (!rules.ready) {
        PyErr_SetString(PyExc_RuntimeError, "_blockwalk.configure() was not called");
        return NULL;
    }
    /* The caller passes only lxml elements (blocks.blockify checks). */
    XmlNode *node = ((LxmlElement *)root)->node;
    if (!node || node->type != NODE_ELEMENT) {
        Py_RETURN_NONE;
    }
    Walk *w = PyMem_Calloc(1, sizeof(Walk));
    if (!w) {
        return PyErr_NoMemory();
    }
    w->max_blocks = max_blocks;
    w->blocks = PyList_New(0);
    w->tags = PyList_New(0);
    w->parents = PyList_New(0);
    w->attrs = PyList_New(0);
    w->hidden = PyList_New(0);
    PyObject *result = NULL;
    if (w->blocks && w->tags && w->parents && w->attrs && w->hidden) {
        if (run(w, node) == 0) {
            result = PyTuple_Pack(5, w->blocks, w->tags, w->parents, w->attrs, w->hidden);
        } else if (w->fallback && !PyErr_Occurred()) {
            result = Py_None;
            Py_INCREF(result);
        }
    }
    release_walk(w);
    PyMem_Free(w);
    return result;
}

/* ---- configure: the rules from blocks.py ---- */

static int utf8_names(PyObject *tuple, const char **names, Py_ssize_t most, Py_ssize_t *count,
                      const char *what) {
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) > most) {
        PyErr_Format(PyExc_ValueError, "%s: a tuple of at most %zd str", what, most);
        return -1;
    }
    *count = PyTuple_GET_SIZE(tuple);
    for (Py_ssize_t i = 0; i < *count; i++) {
        names[i] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(tuple, i));
        if (!names[i]) {
            return -1;
        }
    }
    return 0;
}

/* rules.X = value, holding a reference (and dropping the old one). */
static void hold(PyObject **slot, PyObject *value) {
    Py_INCREF(value);
    Py_XSETREF(*slot, value);
}

/* The slots of `fields` (BLOCK_FIELDS names, or none) in `type`, into offsets; all 0
   for none. -1 with an error if a field is not a writable object slot of the type. */
static int slot_offsets(PyObject *type, PyObject *fields, Py_ssize_t *offsets) {
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    if (n == 0) {
        return 0;
    }
    if (n != BLOCK_FIELDS || !PyType_Check(type)) {
        PyErr_Format(PyExc_ValueError, "configure: %d Block fields, or none", BLOCK_FIELDS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(fields, i);
        PyObject *descriptor = PyUnicode_Check(name) ?
            PyDict_GetItemWithError(((PyTypeObject *)type)->tp_dict, name) : NULL;  /* borrowed */
        const PyMemberDef *member = descriptor && Py_IS_TYPE(descriptor, &PyMemberDescr_Type) ?
            ((PyMemberDescrObject *)descriptor)->d_member : NULL;
        if (!member || member->type != T_OBJECT_EX || (member->flags & READONLY)
            || member->offset <= 0) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "configure: a Block field is not a slot");
            }
            return -1;
        }
        offsets[i] = member->offset;
    }
    return 0;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *block_type, *fields, *tag_flags, *kinds, *words, *marker, *marks, *styles;
    if (!PyArg_ParseTuple(args, "OO!O!O!O!UO!O!:configure", &block_type, &PyTuple_Type, &fields,
                          &PyDict_Type, &tag_flags, &PyTuple_Type, &kinds, &PyTuple_Type,
                          &words, &marker, &PyTuple_Type, &marks, &PyTuple_Type, &styles)) {
        return NULL;
    }
    Py_ssize_t offsets[BLOCK_FIELDS] = {0};
    if (slot_offsets(block_type, fields, offsets) < 0) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(kinds) != N_KINDS || PyTuple_GET_SIZE(marks) != 2) {
        PyErr_SetString(PyExc_ValueError, "configure: 6 kinds and 2 marks, please");
        return NULL;
    }
    rules.ready = 0;
    Py_ssize_t ignored;
    const char *mark_names[2];
    if (utf8_names(words, rules.word_names, MAX_WORD_ATTRIBUTES, &rules.n_words,
                   "word attributes") < 0 ||
        utf8_names(styles, rules.styles, MAX_HIDDEN_STYLES, &rules.n_styles,
                   "hidden styles") < 0 ||
        utf8_names(marks, mark_names, 2, &ignored, "marks") < 0 ||
        !(rules.marker_name = PyUnicode_AsUTF8(marker))) {
        return NULL;
    }
    for (int k = 0; k < N_KINDS; k++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(kinds, k))) {
            PyErr_SetString(PyExc_TypeError, "configure: kinds are str");
            return NULL;
        }
        hold(&rules.kinds[k], PyTuple_GET_ITEM(kinds, k));
    }
    memcpy(rules.slot_offsets, offsets, sizeof offsets);
    rules.content_name = mark_names[0];
    rules.chrome_name = mark_names[1];
    /* Keep every object whose UTF-8 the pointers above borrow. */
    hold(&rules.block_type, block_type);
    hold(&rules.tag_flags, tag_flags);
    hold(&rules.word_attributes, words);
    hold(&rules.marker, marker);
    hold(&rules.marks, marks);
    hold(&rules.hidden_styles, styles);
    if (!rules.empty && !(rules.empty = PyUnicode_FromString(""))) {
        return NULL;
    }
    rules.ready = 1;
    Py_RETURN_NONE;
}

/* ---- the page facts' elements (facts) ---- */

#define MAX_FACT_NAMES 16
#define NODE_XINCLUDE_START 19
#define NODE_XINCLUDE_END 20

/* Up to MAX_FACT_NAMES str of a tuple as UTF-8 (borrowed from the str); -1 with an error. */
static int fact_names(PyObject *tuple, const char **names, Py_ssize_t *count) {
    *count = PyTuple_GET_SIZE(tuple);
    if (*count > MAX_FACT_NAMES) {
        PyErr_Format(PyExc_ValueError, "facts: at most %d tags and attributes", MAX_FACT_NAMES);
        return -1;
    }
    for (Py_ssize_t i = 0; i < *count; i++) {
        PyObject *name = PyTuple_GET_ITEM(tuple, i);
        names[i] = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
        if (!names[i]) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "facts: tags and attributes must be str");
            }
            return -1;
        }
    }
    return 0;
}

/* The element's wanted attributes as a dict; NULL with *fallback set (no error) where
   an attribute is not one text child, or has a namespace. */
static PyObject *fact_attributes(const XmlNode *node, PyObject *names, const char **utf8,
                                 Py_ssize_t n_names, int *fallback) {
    PyObject *found = PyDict_New();
    int seen[MAX_FACT_NAMES] = {0};  /* each name's first attribute only, as get() */
    for (const XmlAttr *a = node->properties; found && a; a = a->next) {
        if (a->ns) {
            *fallback = 1;
            Py_CLEAR(found);
            break;
        }
        for (Py_ssize_t k = 0; k < n_names; k++) {
            if (seen[k] || strcmp((const char *)a->name, utf8[k]) != 0) {
                continue;
            }
            seen[k] = 1;
            const char *raw = (const char *)attribute_value(a, fallback);
            PyObject *value = raw ? decode_utf8(raw, (Py_ssize_t)strlen(raw), fallback) : NULL;
            if (!value || PyDict_SetItem(found, PyTuple_GET_ITEM(names, k), value) < 0) {
                Py_XDECREF(value);
                Py_CLEAR(found);
                break;
            }
            Py_DECREF(value);
        }
    }
    return found;
}

/* lxml's element.text: the text and CDATA children before the first other child,
   joined ("" for none). NULL with *fallback set for an XInclude marker among them. */
static PyObject *fact_text(const XmlNode *node, int *fallback) {
    Bytes joined = {0};
    PyObject *text = NULL;
    const XmlNode *child = node->children;
    for (; child && (child->type == NODE_TEXT || child->type == NODE_CDATA); child = child->next) {
        const char *content = child->content ? (const char *)child->content : "";
        if (bytes_add(&joined, content, (Py_ssize_t)strlen(content)) < 0) {
            goto done;
        }
    }
    if (child && (child->type == NODE_XINCLUDE_START || child->type == NODE_XINCLUDE_END)) {
        *fallback = 1;
        goto done;
    }
    text = decode_utf8(joined.bytes ? joined.bytes : "", joined.len, fallback);
done:
    PyMem_Free(joined.bytes);
    return text;
}

/* Is attributes[key] equal to value (both str)? -1 with an error if it cannot say. */
static int has_value(PyObject *attributes, PyObject *key, PyObject *value) {
    PyObject *found = PyDict_GetItemWithError(attributes, key);  /* borrowed */
    if (!found) {
        return PyErr_Occurred() ? -1 : 0;
    }
    return PyUnicode_Compare(found, value) == 0 ? 1 : (PyErr_Occurred() ? -1 : 0);
}

/* The (tag, attributes, text) tuple of one wanted element, appended to `out`; the
   text read only where attribute text_if[0] is text_if[1]. */
static int add_fact(PyObject *out, const XmlNode *node, PyObject *tag, PyObject *names,
                    const char **utf8, Py_ssize_t n_names, PyObject *text_if, int *fallback) {
    PyObject *attributes = fact_attributes(node, names, utf8, n_names, fallback);
    int wanted = attributes ? has_value(attributes, PyTuple_GET_ITEM(text_if, 0),
                                        PyTuple_GET_ITEM(text_if, 1)) : -1;
    PyObject *text = wanted < 0 ? NULL : wanted ? fact_text(node, fallback)
                                                : PyUnicode_New(0, 0);
    PyObject *fact = text ? PyTuple_Pack(3, tag, attributes, text) : NULL;
    int status = fact ? PyList_Append(out, fact) : -1;
    Py_XDECREF(attributes);
    Py_XDECREF(text);
    Py_XDECREF(fact);
    return status;
}

static PyObject *facts(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *root, *tags, *names, *text_if;
    if (!PyArg_ParseTuple(args, "OO!O!O!:facts", &root, &PyTuple_Type, &tags, &PyTuple_Type,
                          &names, &PyTuple_Type, &text_if)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(text_if) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(text_if, 0))
        || !PyUnicode_Check(PyTuple_GET_ITEM(text_if, 1))) {
        PyErr_SetString(PyExc_TypeError, "facts: text_if must be (attribute, value), two str");
        return NULL;
    }
    const char *tag_utf8[MAX_FACT_NAMES], *name_utf8[MAX_FACT_NAMES];
    Py_ssize_t n_tags, n_names;
    if (fact_names(tags, tag_utf8, &n_tags) < 0 || fact_names(names, name_utf8, &n_names) < 0) {
        return NULL;
    }
    /* The caller passes only lxml elements (page._fact_elements checks). */
    XmlNode *top = ((LxmlElement *)root)->node;
    if (!top || top->type != NODE_ELEMENT) {
        Py_RETURN_NONE;
    }
    PyObject *out = PyList_New(0);
    int fallback = 0;
    XmlNode *node = top;
    while (out && node) {
        if (node->type == NODE_ELEMENT) {
            if (node->ns) {
                fallback = 1;
                break;
            }
            for (Py_ssize_t t = 0; t < n_tags; t++) {
                if (strcmp((const char *)node->name, tag_utf8[t]) == 0) {
                    if (add_fact(out, node, PyTuple_GET_ITEM(tags, t), names, name_utf8,
                                 n_names, text_if, &fallback) < 0) {
                        Py_CLEAR(out);
                    }
                    break;
                }
            }
            if (out && node->children) {  /* only elements are descended into */
                node = node->children;
                continue;
            }
        }
        while (node != top && !node->next) {
            node = node->parent;
        }
        node = node == top ? NULL : node->next;
    }
    if (fallback) {
        Py_XDECREF(out);
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(block_type, fields, tag_flags, kinds, word_attributes, marker, marks, "
     "hidden_styles): the walk's rules, from blocks.py; Blocks are made by setting the "
     "slots of `fields` (Block's, in order) directly, or by calling the type if none."},
    {"walk", walk, METH_VARARGS,
     "walk(root, max_blocks) -> (blocks, tags, parents, attrs, hidden), or None where the page "
     "needs the Python walk."},
    {"facts", facts, METH_VARARGS,
     "facts(root, tags, attributes, text_if) -> list of (tag, {attribute: value}, text) "
     "of the elements with those tags, in document order; None where Python must read "
     "them."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_blockwalk",
    "The blockifier's walk over libxml2's nodes (see blocks.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__blockwalk(void) {
    PyObject *module = PyModule_Create(&module_def);
    if (!module) {
        return NULL;
    }
    static const struct {
        const char *name;
        long value;
    } constants[] = {
        {"BLOCK", TAG_BLOCK}, {"SKIP", TAG_SKIP}, {"CELL", TAG_CELL}, {"LIST", TAG_LIST},
        {"DL", TAG_DL}, {"LINK", TAG_LINK}, {"BREAK", TAG_BREAK}, {"PRE", TAG_PRE},
        {"ROW", TAG_ROW}, {"TABLE", TAG_TABLE}, {"ITEM", TAG_ITEM}, {"QUOTE", TAG_QUOTE},
        {"ORDERED", TAG_ORDERED}, {"HEADING_SHIFT", HEADING_SHIFT},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        if (PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
