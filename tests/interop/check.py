#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Check candidate pickles against reference pickles.

Usage:  python check.py [-v] JOBS.json

JOBS.json is a list of jobs:
    {"original": PATH, "candidate": PATH, "protocol": N, "exact": BOOL,
     "encoding": "ASCII" | "latin1" | "bytes"}      (encoding optional)

For each job every pickle in both files is loaded (back to back until the
end of the file).  The candidate objects must match the original objects
structurally, including which objects are shared and where cycles close.
With "exact" the candidate bytes must also equal what this interpreter's
own pickler writes for the original objects at the given protocol.

Prints one line per failure and ends with "N passed, M failed"; the exit
status is 1 if anything failed, else 0.  Relative paths are looked up
from the current directory first, then from the directory of JOBS.json.

Runs unchanged on Python 2.7 and Python 3.6+, standard library only.
"""
from __future__ import print_function

import io
import json
import os
import re
import struct
import sys
import types
from collections import OrderedDict

PY2 = sys.version_info[0] == 2
HERE = os.path.dirname(os.path.abspath(__file__))
# The instance cases refer to classes defined in corpus.py (same folder).
sys.path.insert(0, HERE)

if PY2:
    import cPickle as pickle  # the C pickler, as used by corpus.py
    INT_TYPES = (int, long)  # noqa: F821 (Python 2 only)
    TEXT_TYPES = (str, unicode)  # noqa: F821 (Python 2 only)
    OPAQUE_TYPES = (type, types.ClassType, types.FunctionType,
                    types.BuiltinFunctionType, types.ModuleType)
    INSTANCE_TYPE = types.InstanceType
else:
    import pickle
    INT_TYPES = (int,)
    TEXT_TYPES = (str, bytes)
    OPAQUE_TYPES = (type, types.FunctionType, types.BuiltinFunctionType,
                    types.ModuleType)
    INSTANCE_TYPE = None

# Dicts keep insertion order from CPython 3.6 on; before that, compare
# plain dicts without regard to order.
ORDERED_DICTS = sys.version_info >= (3, 6)

# Objects compared with == in addition to their reduced form.
VALUE_MODULES = ('datetime', 'decimal', '_decimal', '_pydecimal',
                 'fractions', 'uuid')


class Mismatch(Exception):
    def __init__(self, path, reason):
        path = short_path(path)
        Exception.__init__(self, '%s: %s' % (path, reason))
        self.path = path
        self.reason = reason


def short_repr(x, limit=60):
    try:
        r = repr(x)
    except Exception as e:  # pragma: no cover - defensive
        r = '<repr failed: %s>' % type(e).__name__
    if len(r) > limit:
        r = r[:limit - 3] + '...'
    return r


_REPEATS = re.compile(r'(\[[^\[\]]*\])\1{3,}')


def short_path(path):
    """Collapse long runs of one step, e.g. [0][0][0][0][0] -> [0]*5."""
    return _REPEATS.sub(
        lambda m: '%s*%d' % (m.group(1), len(m.group(0)) // len(m.group(1))),
        path)


def type_name(t):
    return '%s.%s' % (getattr(t, '__module__', '?'),
                      getattr(t, '__name__', '?'))


def float_bits(x):
    # Every NaN is the same value to Python; its sign and payload are noise.
    if x != x:
        return b'nan'
    return struct.pack('>d', x)


# Python 3's pickle maps these Python 2 builtins onto one Python 3 type each,
# so a round trip through Python 3 names may give back the other one.
PY2_ALIASES = ()
if PY2:
    PY2_ALIASES = ((int, long), (str, unicode, basestring))  # noqa: F821


def same_py2_name(a, b):
    return any(a in group and b in group for group in PY2_ALIASES)


class Comparer(object):
    """Walks two object graphs in step.

    Mutable containers, tuples, instances and other objects must map one
    to one (a bijection of identities).  Strings and bytes only need the
    original's sharing to be present in the candidate.
    """

    def __init__(self, protocol=None):
        # Below protocol 4 CPython itself drops the PEP 495 fold of datetime
        # and time objects, so a candidate at that protocol may too.
        self.fold_kept = protocol is None or protocol >= 4
        self.fwd = {}      # id(original) -> id(candidate)
        self.back = {}     # id(candidate) -> id(original)
        self.where = {}    # id(original) -> path where first seen
        self.where_b = {}  # id(candidate) -> path where first seen
        self.text = {}     # id(original str/bytes) -> id(candidate)
        self.keep = []     # temporaries kept alive so their ids stay unique

    # -- public ------------------------------------------------------------
    def compare(self, a, b, path='root'):
        self._walk([(a, b, path)])

    # -- machinery ---------------------------------------------------------
    def _walk(self, stack):
        while stack:
            a, b, path = stack.pop()
            children = self._step(a, b, path)
            if children:
                children.reverse()
                stack.extend(children)

    def _snapshot(self):
        return (dict(self.fwd), dict(self.back), dict(self.where),
                dict(self.where_b), dict(self.text))

    def _restore(self, snap):
        (self.fwd, self.back, self.where, self.where_b, self.text) = snap

    def _trial(self, a, b, path):
        """Compare fully; on mismatch undo any bookkeeping and say False."""
        snap = self._snapshot()
        try:
            self._walk([(a, b, path)])
            return True
        except Mismatch:
            self._restore(snap)
            return False

    def _step(self, a, b, path):
        ta, tb = type(a), type(b)
        if PY2 and ta in INT_TYPES and tb in INT_TYPES:
            tb = ta  # Python 2's int and long are one kind of number here
        if ta is not tb:
            raise Mismatch(path, 'type %s != %s (%s vs %s)' % (
                type_name(ta), type_name(tb), short_repr(a), short_repr(b)))
        if a is None:
            return None
        if ta is bool or ta in INT_TYPES:
            if a != b:
                raise Mismatch(path, 'value %s != %s' % (
                    short_repr(a), short_repr(b)))
            return None
        if ta is float:
            if float_bits(a) != float_bits(b):
                raise Mismatch(path, 'float %r != %r' % (a, b))
            return None
        if ta is complex:
            if (float_bits(a.real) + float_bits(a.imag) !=
                    float_bits(b.real) + float_bits(b.imag)):
                raise Mismatch(path, 'complex %r != %r' % (a, b))
            return None
        if ta in TEXT_TYPES:
            return self._text(a, b, path)
        if isinstance(a, OPAQUE_TYPES):
            if a is not b and not same_py2_name(a, b):
                raise Mismatch(path, 'different objects %s vs %s' % (
                    short_repr(a), short_repr(b)))
            return None

        # Everything else takes part in the identity bijection.
        ia, ib = id(a), id(b)
        if ia in self.fwd:
            if self.fwd[ia] != ib:
                raise Mismatch(path, 'sharing differs: original object is '
                               'the one first seen at %s, candidate object '
                               'is not' % short_path(self.where[ia]))
            return None
        if ib in self.back:
            raise Mismatch(path, 'sharing differs: candidate object is the '
                           'one first seen at %s, original object is not'
                           % short_path(self.where_b[ib]))
        self.fwd[ia] = ib
        self.back[ib] = ia
        self.where[ia] = path
        self.where_b[ib] = path

        if ta is list or ta is tuple:
            return self._sequence(a, b, path)
        if ta is dict:
            return self._mapping(list(a.items()), list(b.items()), path,
                                 ORDERED_DICTS)
        if ta is set or ta is frozenset:
            return self._set(a, b, path)
        if ta is bytearray:
            if a != b:
                return self._bytes_diff(bytes(a), bytes(b), path)
            return None
        if INSTANCE_TYPE is not None and ta is INSTANCE_TYPE:
            return [(a.__class__, b.__class__, path + '.__class__'),
                    (a.__dict__, b.__dict__, path + '.__dict__')]
        if isinstance(a, types.MethodType):
            return [(a.__func__, b.__func__, path + '.__func__'),
                    (a.__self__, b.__self__, path + '.__self__')]
        return self._object(a, b, path)

    def _text(self, a, b, path):
        if a != b:
            return self._bytes_diff(a, b, path)
        if len(a) <= 1:
            return None  # CPython caches empty and one-character strings
        ia = id(a)
        if ia in self.text:
            if self.text[ia] != id(b):
                raise Mismatch(path, 'original shares this %s with %s, '
                               'candidate does not' % (
                                   type(a).__name__,
                                   short_path(self.where[ia])))
        else:
            self.text[ia] = id(b)
            self.where[ia] = path
        return None

    def _bytes_diff(self, a, b, path):
        n = min(len(a), len(b))
        i = 0
        while i < n and a[i] == b[i]:
            i += 1
        raise Mismatch(path, '%s differs at index %d (lengths %d, %d): '
                       '%s vs %s' % (type(a).__name__, i, len(a), len(b),
                                     short_repr(a[max(0, i - 8):i + 8], 50),
                                     short_repr(b[max(0, i - 8):i + 8], 50)))

    def _sequence(self, a, b, path):
        if len(a) != len(b):
            raise Mismatch(path, '%s length %d != %d' % (
                type(a).__name__, len(a), len(b)))
        return [(a[i], b[i], '%s[%d]' % (path, i)) for i in range(len(a))]

    def _mapping(self, items_a, items_b, path, ordered):
        if len(items_a) != len(items_b):
            raise Mismatch(path, 'mapping size %d != %d (keys %s vs %s)' % (
                len(items_a), len(items_b),
                short_repr([k for k, _ in items_a]),
                short_repr([k for k, _ in items_b])))
        self.keep.append((items_a, items_b))
        children = []
        if ordered:
            for i, ((ka, va), (kb, vb)) in enumerate(zip(items_a, items_b)):
                sub = '%s[%s]' % (path, short_repr(ka, 40))
                children.append((ka, kb, '%s<key %d>' % (path, i)))
                children.append((va, vb, sub))
            return children
        pairs = self._match(
            [k for k, _ in items_a], [k for k, _ in items_b], path, 'key')
        values_a = dict((id(k), v) for k, v in items_a)
        values_b = dict((id(k), v) for k, v in items_b)
        for ka, kb in pairs:
            children.append((values_a[id(ka)], values_b[id(kb)],
                             '%s[%s]' % (path, short_repr(ka, 40))))
        return children

    def _set(self, a, b, path):
        if len(a) != len(b):
            raise Mismatch(path, '%s size %d != %d' % (
                type(a).__name__, len(a), len(b)))
        self._match(list(a), list(b), path, 'element')
        return None

    def _match(self, elems_a, elems_b, path, what):
        """Pair up hashable elements (set members, dict keys) of a and b.

        Pairs found by hash lookup are compared structurally right away;
        anything the lookup misses (NaN, identity-hashed instances) is
        paired by trying the remaining candidates one by one.
        """
        self.keep.append((elems_a, elems_b))
        lookup = {}
        for eb in elems_b:
            try:
                lookup[eb] = eb
            except TypeError:
                pass
        used = set()
        pairs = []
        leftovers = []
        for ea in elems_a:
            sub = '%s{%s}' % (path, short_repr(ea, 40))
            try:
                eb = lookup.get(ea, lookup)
            except TypeError:
                eb = lookup
            if eb is not lookup and id(eb) not in used:
                self._walk([(ea, eb, sub)])
                used.add(id(eb))
                pairs.append((ea, eb))
            else:
                leftovers.append((ea, sub))
        for ea, sub in leftovers:
            for eb in elems_b:
                if id(eb) in used:
                    continue
                if self._trial(ea, eb, sub):
                    used.add(id(eb))
                    pairs.append((ea, eb))
                    break
            else:
                raise Mismatch(sub, 'no matching %s in candidate' % what)
        return pairs

    def _object(self, a, b, path):
        """Compare any other object through the pickle reduce protocol."""
        children = []
        if type(a).__module__ in VALUE_MODULES or isinstance(a, range_types):
            try:
                if a == a and not a == b:
                    raise Mismatch(path, '%s != %s' % (
                        short_repr(a), short_repr(b)))
            except (TypeError, ValueError, ArithmeticError):
                pass  # e.g. signalling NaN decimals refuse comparison
        if not self.fold_kept and getattr(a, 'fold', 0) and hasattr(a, 'replace'):
            a = a.replace(fold=0)
            self.keep.append(a)
        ra = reduce_for_compare(a)
        rb = reduce_for_compare(b)
        self.keep.append((ra, rb))
        if ra is None or rb is None:
            # Not reducible here (for example state loaded with
            # encoding="bytes"): fall back on the instance dict.
            da = getattr(a, '__dict__', None)
            db = getattr(b, '__dict__', None)
            if isinstance(da, dict) and isinstance(db, dict):
                return [(da, db, path + '.__dict__')]
            if a == b:
                return None
            raise Mismatch(path, 'cannot reduce %s for comparison' %
                           type_name(type(a)))
        if isinstance(ra, str) or isinstance(rb, str):
            if a is not b:
                raise Mismatch(path, 'different global objects %s vs %s' % (
                    short_repr(a), short_repr(b)))
            return None
        if len(ra) != len(rb):
            raise Mismatch(path, 'reduce value length %d != %d' % (
                len(ra), len(rb)))
        labels = ('<reduce func>', '<reduce args>', '<state>',
                  '<list items>', '<dict items>')
        for i in range(len(ra)):
            pa, pb = ra[i], rb[i]
            sub = path + labels[i]
            if i == 1 and isinstance(a, (set, frozenset)):
                # Set subclasses reduce to a list in iteration order.
                children.append((frozenset(a), frozenset(b), sub))
                self.keep.append(children[-1])
                continue
            if i == 4 and pa is not None and pb is not None:
                ordered = ORDERED_DICTS or isinstance(a, OrderedDict)
                children.extend(self._mapping(list(pa), list(pb), sub,
                                              ordered))
                continue
            if i == 3 and pa is not None and pb is not None:
                pa, pb = list(pa), list(pb)
            if pa is None and pb is None:
                continue
            children.append((pa, pb, sub))
        self.keep.append(children)
        return children


# Python 2 xrange objects compare by identity, so they are checked only
# through their reduced form.
range_types = () if PY2 else (range,)

# Protocol 4 where available: some types keep detail only there (for
# example the fold of a datetime).
REDUCE_PROTOCOL = min(4, pickle.HIGHEST_PROTOCOL)


def reduce_for_compare(x):
    """The reduce value of x (a 5-tuple, a string, or None if unavailable)."""
    reduce_ex = getattr(x, '__reduce_ex__', None)
    if reduce_ex is None:
        return None
    try:
        rv = reduce_ex(REDUCE_PROTOCOL)
    except Exception:
        return None
    if isinstance(rv, str):
        return rv
    rv = tuple(rv) + (None,) * (5 - len(rv))
    return rv


# ---------------------------------------------------------------------------
# Loading and checking jobs
# ---------------------------------------------------------------------------

class LoadError(Exception):
    pass


class NotApplicable(Exception):
    pass


def load_all(data, encoding):
    """All pickles stored back to back in data."""
    f = io.BytesIO(data)
    objects = []
    while f.tell() < len(data):
        start = f.tell()
        try:
            if PY2:
                obj = pickle.Unpickler(f).load()
            else:
                obj = pickle.Unpickler(f, encoding=encoding).load()
        except Exception as e:
            raise LoadError('pickle #%d at offset %d: %s: %s' % (
                len(objects), start, type(e).__name__, e))
        objects.append(obj)
    return objects


def hex_context(data, offset, width=8):
    lo = max(0, offset - width)
    hi = min(len(data), offset + width)
    before = data[lo:offset]
    after = data[offset:hi]
    return '%s|%s' % (_hex(before), _hex(after))


def _hex(b):
    return ' '.join('%02x' % c for c in bytearray(b))


def first_difference(x, y):
    n = min(len(x), len(y))
    # Binary search on prefix equality keeps this fast for large files.
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if x[lo:mid + 1] == y[lo:mid + 1]:
            lo = mid + 1
        else:
            hi = mid
    return lo


def resolve(path, base):
    if os.path.isabs(path) or os.path.exists(path):
        return path
    alt = os.path.join(base, path)
    if os.path.exists(alt):
        return alt
    return path


def check_job(job, base):
    """Return None if the job passes, otherwise a short reason."""
    original = resolve(job['original'], base)
    candidate = resolve(job['candidate'], base)
    protocol = int(job.get('protocol', pickle.HIGHEST_PROTOCOL))
    exact = bool(job.get('exact', False))
    encoding = job.get('encoding') or 'ASCII'
    try:
        with open(original, 'rb') as f:
            data_a = f.read()
        with open(candidate, 'rb') as f:
            data_b = f.read()
    except (IOError, OSError) as e:
        return 'cannot read: %s' % e
    try:
        objs_a = load_all(data_a, encoding)
    except LoadError as e:
        # This interpreter cannot load the original itself (for example a
        # Python 2 pickle of a type Python 3 rebuilds differently): the job
        # does not apply here. Counted and reported as skipped.
        raise NotApplicable('original does not load here: %s' % e)
    try:
        objs_b = load_all(data_b, encoding)
    except LoadError as e:
        return 'candidate does not load: %s' % e
    if len(objs_a) != len(objs_b):
        return 'pickle count %d != %d' % (len(objs_a), len(objs_b))
    for i in range(len(objs_a)):
        path = 'root' if len(objs_a) == 1 else 'root#%d' % i
        try:
            Comparer(protocol).compare(objs_a[i], objs_b[i], path)
        except Mismatch as e:
            return 'objects differ at %s: %s' % (e.path, e.reason)
    if exact:
        try:
            expected = b''.join(pickle.dumps(o, protocol) for o in objs_a)
        except Exception as e:
            return 'cannot re-pickle original at protocol %d: %s: %s' % (
                protocol, type(e).__name__, e)
        if expected != data_b:
            off = first_difference(expected, data_b)
            return ('bytes differ from pickle.dumps(protocol=%d) at offset '
                    '%d (lengths %d expected, %d candidate): expected %s, '
                    'candidate %s' % (protocol, off, len(expected),
                                      len(data_b),
                                      hex_context(expected, off),
                                      hex_context(data_b, off)))
    return None


def main(argv):
    verbose = False
    args = []
    for arg in argv:
        if arg in ('-v', '--verbose'):
            verbose = True
        elif arg in ('-h', '--help'):
            sys.stdout.write(__doc__)
            return 0
        else:
            args.append(arg)
    if len(args) != 1:
        sys.stderr.write('usage: check.py [-v] JOBS.json\n')
        return 2
    with open(args[0]) as f:
        jobs = json.load(f)
    base = os.path.dirname(os.path.abspath(args[0]))
    # Deep graphs: the walk is iterative, but pickle itself and repr of
    # nested objects recurse.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    passed = failed = skipped = 0
    for job in jobs:
        try:
            reason = check_job(job, base)
        except NotApplicable as e:
            skipped += 1
            if verbose:
                print('skip %s vs %s: %s' % (job.get('original'),
                                             job.get('candidate'), e))
            continue
        except Exception as e:  # a checker bug must not hide other jobs
            reason = 'checker error: %s: %s' % (type(e).__name__, e)
        label = '%s vs %s' % (job.get('original'), job.get('candidate'))
        if reason is None:
            passed += 1
            if verbose:
                print('ok   %s' % label)
        else:
            failed += 1
            print('FAIL %s (protocol %s%s): %s' % (
                label, job.get('protocol'),
                ', exact' if job.get('exact') else '', reason))
        sys.stdout.flush()
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
