/* stein._speedups: optional C versions of a few per-request hot spots.
 *
 * Every function here has a pure-Python twin that Stein uses when this module is not
 * built (or when STEIN_NO_SPEEDUPS is set); tests/test_speedups.py checks that both give
 * the same answers. Nothing here adds behaviour:
 *
 *   ContextProxy     attribute reads of the ``request``/``session``/``g``/``current_app``
 *                    proxies (stein.ctx), without a Python-level __getattribute__ call;
 *   cached_property  the lazy, cached request attributes (stein.request);
 *   parse_plain_qs   the common query string / urlencoded body split into a MultiDict
 *                    (stein.http.parse_qs_multidict);
 *   multidict_get,   ``get(key, default, type)`` of MultiDict and of the request headers
 *   environ_get_method  (stein.datastructures), the most called methods in views.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* ------------------------------------------------------------------------------------ */
/* ContextProxy                                                                          */

typedef struct {
    PyObject_HEAD
    PyObject *lookup;   /* () -> the current object; used when cv is None */
    PyObject *name;     /* what the proxy stands for, for repr */
    PyObject *own;      /* frozenset of names resolved on the proxy itself */
    PyObject *cv;       /* ContextVar holding a context, or None */
    PyObject *attr;     /* the context's attribute that is the current object */
    PyObject *message;  /* RuntimeError text when the ContextVar is unset */
} ContextProxy;

static PyObject *
proxy_current(ContextProxy *self)
{
    if (self->cv == Py_None) {
        return PyObject_CallNoArgs(self->lookup);
    }
    PyObject *ctx;
    if (PyContextVar_Get(self->cv, NULL, &ctx) < 0) {
        return NULL;
    }
    if (ctx == NULL) {
        PyErr_SetObject(PyExc_RuntimeError, self->message);
        return NULL;
    }
    PyObject *obj = PyObject_GetAttr(ctx, self->attr);
    Py_DECREF(ctx);
    return obj;
}

static PyObject *
proxy_getattro(ContextProxy *self, PyObject *name)
{
    int own = PySet_Contains(self->own, name);
    if (own != 0) {
        return own < 0 ? NULL : PyObject_GenericGetAttr((PyObject *)self, name);
    }
    PyObject *obj = proxy_current(self);
    if (obj == NULL) {
        return NULL;
    }
    PyObject *rv = PyObject_GetAttr(obj, name);
    Py_DECREF(obj);
    return rv;
}

static PyObject *
proxy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"lookup", "name", "own_names", "cv", "attr", "message", NULL};
    PyObject *lookup, *name, *own, *cv = Py_None, *attr = Py_None, *message = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO!|OOO:ContextProxy", kwlist, &lookup,
                                     &name, &PyFrozenSet_Type, &own, &cv, &attr, &message)) {
        return NULL;
    }
    if (cv != Py_None && !PyContextVar_CheckExact(cv)) {
        PyErr_SetString(PyExc_TypeError, "cv must be a ContextVar or None");
        return NULL;
    }
    if (cv != Py_None && !PyUnicode_Check(attr)) {
        PyErr_SetString(PyExc_TypeError, "attr must be a str when cv is given");
        return NULL;
    }
    ContextProxy *self = (ContextProxy *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->lookup = Py_NewRef(lookup);
    self->name = Py_NewRef(name);
    self->own = Py_NewRef(own);
    self->cv = Py_NewRef(cv);
    self->attr = Py_NewRef(attr);
    self->message = Py_NewRef(message);
    return (PyObject *)self;
}

static int
proxy_traverse(ContextProxy *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->lookup);
    Py_VISIT(self->name);
    Py_VISIT(self->own);
    Py_VISIT(self->cv);
    Py_VISIT(self->attr);
    Py_VISIT(self->message);
    return 0;
}

static int
proxy_clear(ContextProxy *self)
{
    Py_CLEAR(self->lookup);
    Py_CLEAR(self->name);
    Py_CLEAR(self->own);
    Py_CLEAR(self->cv);
    Py_CLEAR(self->attr);
    Py_CLEAR(self->message);
    return 0;
}

static void
proxy_dealloc(ContextProxy *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    proxy_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMemberDef proxy_members[] = {
    {"_lookup", T_OBJECT, offsetof(ContextProxy, lookup), READONLY,
     "The function that returns the current object."},
    {"_proxy_name", T_OBJECT, offsetof(ContextProxy, name), READONLY,
     "What the proxy stands for."},
    {NULL},
};

static PyType_Slot proxy_slots[] = {
    {Py_tp_doc, "Base of the context proxies: attribute reads go to the current object, "
                "found in C. ContextProxy(lookup, name, own_names, cv=None, attr=None, "
                "message=None)."},
    {Py_tp_new, proxy_new},
    {Py_tp_getattro, proxy_getattro},
    {Py_tp_traverse, proxy_traverse},
    {Py_tp_clear, proxy_clear},
    {Py_tp_dealloc, proxy_dealloc},
    {Py_tp_members, proxy_members},
    {0, NULL},
};

static PyType_Spec proxy_spec = {
    .name = "stein._speedups.ContextProxy",
    .basicsize = sizeof(ContextProxy),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = proxy_slots,
};

/* ------------------------------------------------------------------------------------ */
/* cached_property                                                                       */

typedef struct {
    PyObject_HEAD
    PyObject *fn;
    PyObject *name;
    PyObject *doc;
} CachedProperty;

static PyObject *
cp_get(CachedProperty *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        return Py_NewRef(self);
    }
    PyObject *value = PyObject_CallOneArg(self->fn, obj);
    if (value == NULL) {
        return NULL;
    }
    /* A non-data descriptor: the generic setattr stores in the instance __dict__, which
       later reads find before this descriptor. */
    if (PyObject_GenericSetAttr(obj, self->name, value) < 0) {
        Py_DECREF(value);
        return NULL;
    }
    return value;
}

static PyObject *
cp_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *fn;
    if (!PyArg_ParseTuple(args, "O:cached_property", &fn)) {
        return NULL;
    }
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "cached_property() takes no keyword arguments");
        return NULL;
    }
    PyObject *name = PyObject_GetAttrString(fn, "__name__");
    if (name == NULL) {
        return NULL;
    }
    if (!PyUnicode_Check(name)) {
        Py_DECREF(name);
        PyErr_SetString(PyExc_TypeError, "cached_property needs a function with a str __name__");
        return NULL;
    }
    PyObject *doc = PyObject_GetAttrString(fn, "__doc__");
    if (doc == NULL) {
        Py_DECREF(name);
        return NULL;
    }
    CachedProperty *self = (CachedProperty *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(name);
        Py_DECREF(doc);
        return NULL;
    }
    self->fn = Py_NewRef(fn);
    self->name = name;
    self->doc = doc;
    return (PyObject *)self;
}

static int
cp_traverse(CachedProperty *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->fn);
    Py_VISIT(self->name);
    Py_VISIT(self->doc);
    return 0;
}

static int
cp_clear(CachedProperty *self)
{
    Py_CLEAR(self->fn);
    Py_CLEAR(self->name);
    Py_CLEAR(self->doc);
    return 0;
}

static void
cp_dealloc(CachedProperty *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    cp_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMemberDef cp_members[] = {
    {"fn", T_OBJECT, offsetof(CachedProperty, fn), READONLY, "The wrapped function."},
    {"name", T_OBJECT, offsetof(CachedProperty, name), READONLY, "The attribute name."},
    {"__doc__", T_OBJECT, offsetof(CachedProperty, doc), READONLY, NULL},
    {NULL},
};

static PyType_Slot cp_slots[] = {
    {Py_tp_new, cp_new},
    {Py_tp_descr_get, cp_get},
    {Py_tp_traverse, cp_traverse},
    {Py_tp_clear, cp_clear},
    {Py_tp_dealloc, cp_dealloc},
    {Py_tp_members, cp_members},
    {0, NULL},
};

static PyType_Spec cp_spec = {
    .name = "stein._speedups.cached_property",
    .basicsize = sizeof(CachedProperty),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = cp_slots,
};

/* ------------------------------------------------------------------------------------ */
/* parse_plain_qs                                                                        */

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Field names repeat from request to request ("q", "page", "csrf_token"...), so short
   plain ones are kept in a small table and handed out again: no allocation, and the dict
   insert reuses the cached hash. A slot is overwritten on collision, so the table stays
   at KEY_CACHE_SIZE entries whatever names clients send. (The GIL guards it.) */
#define KEY_CACHE_SIZE 256
#define KEY_CACHE_MAXLEN 32
static PyObject *key_cache[KEY_CACHE_SIZE];

static PyObject *
cached_key(const unsigned char *s, Py_ssize_t n)
{
    unsigned int h = 2166136261u;  /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) {
        h = (h ^ s[i]) * 16777619u;
    }
    PyObject **slot = &key_cache[h & (KEY_CACHE_SIZE - 1)];
    PyObject *k = *slot;
    if (k != NULL && PyUnicode_GET_LENGTH(k) == n &&
            memcmp(PyUnicode_DATA(k), s, (size_t)n) == 0) {
        return Py_NewRef(k);
    }
    k = PyUnicode_New(n, 127);
    if (k == NULL) return NULL;
    memcpy(PyUnicode_DATA(k), s, (size_t)n);
    if (PyObject_Hash(k) == -1) {
        Py_DECREF(k);
        return NULL;
    }
    Py_XSETREF(*slot, Py_NewRef(k));
    return k;
}

/* One key or value: '+' is a space, %XX a byte, the bytes strict UTF-8. Returns NULL
   with no exception set when the component needs the general parser (a bad escape or bad
   UTF-8, which it reports as a 400). */
static PyObject *
decode_component(const unsigned char *s, Py_ssize_t n, char *buf, int is_key)
{
    int plain = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '%' || c == '+' || c >= 0x80) {
            plain = 0;
            break;
        }
    }
    if (plain && is_key && n <= KEY_CACHE_MAXLEN) {
        return cached_key(s, n);
    }
    if (plain) {
        /* ASCII: a compact str straight from the bytes, no codec. */
        PyObject *rv = PyUnicode_New(n, 127);
        if (rv != NULL) {
            memcpy(PyUnicode_DATA(rv), s, (size_t)n);
        }
        return rv;
    }
    Py_ssize_t m = 0;
    unsigned char high = 0;  /* any byte >= 0x80 seen: UTF-8 to check */
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '+') {
            buf[m++] = ' ';
        }
        else if (c == '%') {
            if (i + 2 >= n) return NULL;  /* fewer than two characters follow */
            int hi = hexval(s[i + 1]);
            int lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return NULL;
            c = (unsigned char)(hi * 16 + lo);
            high |= c;
            buf[m++] = (char)c;
            i += 2;
        }
        else {
            high |= c;
            buf[m++] = (char)c;
        }
    }
    if (!(high & 0x80)) {
        PyObject *rv = PyUnicode_New(m, 127);
        if (rv != NULL) {
            memcpy(PyUnicode_DATA(rv), buf, (size_t)m);
        }
        return rv;
    }
    PyObject *rv = PyUnicode_DecodeUTF8(buf, m, "strict");
    if (rv == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
    }
    return rv;
}

/* Split ``s`` into the empty dict ``into``: 1 done, 0 for the general parser, -1 error. */
static int fill_dict(PyObject *into, const unsigned char *s, Py_ssize_t n, PyObject *maxobj);

/* parse_plain_qs(data, cls, max_fields) -> cls instance or None
 *
 * Split a query string or urlencoded body (str of one byte per character, as PEP 3333
 * gives it, or bytes) on '&' and '=' into a new ``cls``, a dict subclass, as
 * ``dict.__new__(cls)`` makes it (no __init__, no __setitem__). None when the general
 * parser must decide: more than ``max_fields`` parts, a repeated key, a bad escape, bad
 * UTF-8 or a str wider than one byte per character. */
static PyObject *
parse_plain_qs(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "parse_plain_qs(data, cls, max_fields)");
        return NULL;
    }
    PyObject *data = args[0], *cls = args[1], *maxobj = args[2];
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PyDict_Type)) {
        PyErr_SetString(PyExc_TypeError, "cls must be a dict subclass");
        return NULL;
    }
    const unsigned char *s;
    Py_ssize_t n;
    if (PyBytes_Check(data)) {
        s = (const unsigned char *)PyBytes_AS_STRING(data);
        n = PyBytes_GET_SIZE(data);
    }
    else if (PyUnicode_Check(data)) {
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(data) < 0) return NULL;
#endif
        if (PyUnicode_KIND(data) != PyUnicode_1BYTE_KIND) Py_RETURN_NONE;
        s = PyUnicode_1BYTE_DATA(data);
        n = PyUnicode_GET_LENGTH(data);
    }
    else {
        PyErr_SetString(PyExc_TypeError, "data must be str or bytes");
        return NULL;
    }
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL) return NULL;
    PyObject *into = PyDict_Type.tp_new((PyTypeObject *)cls, empty, NULL);
    Py_DECREF(empty);
    if (into == NULL) return NULL;
    int done = fill_dict(into, s, n, maxobj);
    if (done == 1) return into;
    Py_DECREF(into);
    if (done == 0) Py_RETURN_NONE;
    return NULL;
}

static int
fill_dict(PyObject *into, const unsigned char *s, Py_ssize_t n, PyObject *maxobj)
{
    if (n == 0) {
        return 1;  /* no pairs, whatever the bound */
    }
    if (maxobj != Py_None) {
        int overflow;
        long long max_fields = PyLong_AsLongLongAndOverflow(maxobj, &overflow);
        if (max_fields == -1 && PyErr_Occurred()) return -1;
        if (overflow < 0) return 0;  /* a bound below any count: the general path's 413 */
        if (overflow > 0) max_fields = PY_SSIZE_T_MAX;  /* above any count */
        long long parts = 1;
        const unsigned char *p = s, *end = s + n;
        while ((p = memchr(p, '&', (size_t)(end - p))) != NULL) {
            parts++;
            p++;
        }
        if (parts > max_fields) return 0;
    }
    char small[256];
    char *buf = n <= (Py_ssize_t)sizeof(small) ? small : PyMem_Malloc((size_t)n);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int result = 1;
    Py_ssize_t start = 0;
    while (start <= n) {
        const unsigned char *amp = memchr(s + start, '&', (size_t)(n - start));
        Py_ssize_t stop = amp ? (Py_ssize_t)(amp - s) : n;
        if (stop > start) {  /* an empty part is skipped, as the general parser does */
            const unsigned char *eq = memchr(s + start, '=', (size_t)(stop - start));
            Py_ssize_t kend = eq ? (Py_ssize_t)(eq - s) : stop;
            Py_ssize_t vstart = eq ? kend + 1 : stop;
            PyObject *k = decode_component(s + start, kend - start, buf, 1);
            if (k == NULL) {
                result = PyErr_Occurred() ? -1 : 0;
                break;
            }
            PyObject *v = decode_component(s + vstart, stop - vstart, buf, 0);
            if (v == NULL) {
                Py_DECREF(k);
                result = PyErr_Occurred() ? -1 : 0;
                break;
            }
            /* One lookup: setdefault leaves the dict as it was when the key repeats. */
            Py_ssize_t before = PyDict_GET_SIZE(into);
            PyObject *had = PyDict_SetDefault(into, k, v);
            int repeated = had != NULL && PyDict_GET_SIZE(into) == before;
            Py_DECREF(k);
            Py_DECREF(v);
            if (had == NULL) {
                result = -1;
                break;
            }
            if (repeated) {  /* the general path keeps every value of a repeated key */
                result = 0;
                break;
            }
        }
        start = stop + 1;
    }
    if (buf != small) PyMem_Free(buf);
    return result;
}


/* ------------------------------------------------------------------------------------ */
/* MultiDict.get and EnvironHeaders.get                                                  */

/* The arguments of ``get(key, default=None, type=None)`` after ``self``, vectorcall style:
   out[0] key, out[1] default, out[2] type. */
static int
get_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **out)
{
    static const char *names[] = {"key", "default", "type"};
    out[0] = NULL;
    out[1] = out[2] = Py_None;
    if (nargs > 3) {
        PyErr_Format(PyExc_TypeError, "get() takes at most 3 arguments (%zd given)", nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        out[i] = args[i];
    }
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        int slot = -1;
        for (int j = 0; j < 3; j++) {
            if (PyUnicode_CompareWithASCIIString(name, names[j]) == 0) {
                slot = j;
                break;
            }
        }
        if (slot < 0) {
            PyErr_Format(PyExc_TypeError, "get() got an unexpected keyword argument '%U'", name);
            return -1;
        }
        if (slot < nargs) {
            PyErr_Format(PyExc_TypeError, "get() got multiple values for argument '%s'",
                         names[slot]);
            return -1;
        }
        out[slot] = args[nargs + i];
    }
    if (out[0] == NULL) {
        PyErr_SetString(PyExc_TypeError, "get() missing required argument 'key'");
        return -1;
    }
    return 0;
}

/* ``value`` (a borrowed reference, NULL when missing) as ``get`` returns it: ``default``
   when missing, else ``type(value)``, with ValueError/TypeError giving ``default``. */
static PyObject *
typed_value(PyObject *value, PyObject *deflt, PyObject *type)
{
    if (value == NULL) {
        return Py_NewRef(deflt);
    }
    if (type == Py_None) {
        return Py_NewRef(value);
    }
    PyObject *rv;
    if (type == (PyObject *)&PyLong_Type && PyUnicode_CheckExact(value)) {
        rv = PyLong_FromUnicodeObject(value, 10);  /* what int(value) calls */
    }
    else {
        rv = PyObject_CallOneArg(type, value);
    }
    if (rv == NULL && (PyErr_ExceptionMatches(PyExc_ValueError) ||
                       PyErr_ExceptionMatches(PyExc_TypeError))) {
        PyErr_Clear();
        return Py_NewRef(deflt);
    }
    return rv;
}

/* MultiDict.get: a method descriptor of dict, so it binds to any dict subclass. */
static PyObject *
multidict_get(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *a[3];
    if (get_args(args, nargs, kwnames, a) < 0) return NULL;
    PyObject *value = PyDict_GetItemWithError(self, a[0]);
    if (value == NULL && PyErr_Occurred()) return NULL;
    return typed_value(value, a[1], a[2]);
}

/* EnvironHeaders.get reads the cache of header name -> environ key, and fills it through
   the class's own _key() (both given once by environ_get_method). */
static PyObject *environ_keys;
static PyObject *environ_key_func;
static PyObject *str_environ;  /* "environ", interned at import */

static PyObject *
environ_get(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *a[3];
    if (get_args(args, nargs, kwnames, a) < 0) return NULL;
    PyObject *envkey = PyDict_GetItemWithError(environ_keys, a[0]);
    if (envkey != NULL) {
        Py_INCREF(envkey);
    }
    else {
        if (PyErr_Occurred()) return NULL;
        envkey = PyObject_CallOneArg(environ_key_func, a[0]);
        if (envkey == NULL) return NULL;
    }
    PyObject *environ = PyObject_GetAttr(self, str_environ);
    if (environ == NULL) {
        Py_DECREF(envkey);
        return NULL;
    }
    PyObject *rv;
    if (PyDict_CheckExact(environ)) {
        PyObject *value = PyDict_GetItemWithError(environ, envkey);
        if (value == NULL && PyErr_Occurred()) {
            rv = NULL;
        }
        else {
            rv = typed_value(value == Py_None ? NULL : value, a[1], a[2]);
        }
    }
    else {  /* some other mapping: its own get() */
        PyObject *value = PyObject_CallMethod(environ, "get", "O", envkey);
        rv = value == NULL ? NULL : typed_value(value == Py_None ? NULL : value, a[1], a[2]);
        Py_XDECREF(value);
    }
    Py_DECREF(environ);
    Py_DECREF(envkey);
    return rv;
}

static PyMethodDef multidict_get_def = {
    "get", (PyCFunction)(void (*)(void))multidict_get, METH_FASTCALL | METH_KEYWORDS,
    "First value of ``key`` or ``default``; ``type`` converts it (ValueError -> default).",
};

static PyMethodDef environ_get_def = {
    "get", (PyCFunction)(void (*)(void))environ_get, METH_FASTCALL | METH_KEYWORDS,
    "First value of header ``key``, or ``default``; ``type`` converts it.",
};

/* environ_get_method(environ_keys, key_func, cls): EnvironHeaders.get, a method
   descriptor of ``cls`` to set on it. */
static PyObject *
environ_get_method(PyObject *module, PyObject *args)
{
    PyObject *keys, *key_func, *cls;
    if (!PyArg_ParseTuple(args, "O!OO!:environ_get_method", &PyDict_Type, &keys, &key_func,
                          &PyType_Type, &cls)) {
        return NULL;
    }
    Py_XSETREF(environ_keys, Py_NewRef(keys));
    Py_XSETREF(environ_key_func, Py_NewRef(key_func));
    return PyDescr_NewMethod((PyTypeObject *)cls, &environ_get_def);
}

/* ------------------------------------------------------------------------------------ */

static PyMethodDef module_methods[] = {
    {"parse_plain_qs", (PyCFunction)(void (*)(void))parse_plain_qs, METH_FASTCALL,
     "parse_plain_qs(data, cls, max_fields) -> cls instance or None: split a query string."},
    {"environ_get_method", environ_get_method, METH_VARARGS,
     "environ_get_method(environ_keys, key_func, cls) -> EnvironHeaders.get in C."},
    {NULL, NULL, 0, NULL},
};

static int
module_exec(PyObject *m)
{
    if (str_environ == NULL) {
        str_environ = PyUnicode_InternFromString("environ");
        if (str_environ == NULL) return -1;
    }
    PyObject *proxy = PyType_FromModuleAndSpec(m, &proxy_spec, NULL);
    if (proxy == NULL || PyModule_AddObject(m, "ContextProxy", proxy) < 0) {
        Py_XDECREF(proxy);
        return -1;
    }
    PyObject *cp = PyType_FromModuleAndSpec(m, &cp_spec, NULL);
    if (cp == NULL || PyModule_AddObject(m, "cached_property", cp) < 0) {
        Py_XDECREF(cp);
        return -1;
    }
    PyObject *method = PyDescr_NewMethod(&PyDict_Type, &multidict_get_def);
    if (method == NULL || PyModule_AddObject(m, "multidict_get", method) < 0) {
        Py_XDECREF(method);
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_multiple_interpreters
    /* The key table and the header-name cache are process-wide. */
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "stein._speedups",
    .m_doc = "Optional C versions of Stein's per-request hot spots (see stein.ctx, "
             "stein.request and stein.http for the Python ones).",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&moduledef);
}
