//! Which globals a pickle may name: an allowlist keyed on the exact `(module, qualname)`.
//!
//! Every way a global enters a pickle — GLOBAL, STACK_GLOBAL, INST, and the EXT1/2/4 extension
//! codes — goes through one [`Policy`]. Nothing is imported and no dotted name is traversed: a
//! name is allowed when the pair is in the allowlist, and only then. Presets cover plain data
//! ([`Preset::Data`]), NumPy arrays ([`Preset::Numpy`]) and PyTorch weights ([`Preset::Torch`]);
//! callers add their own pairs.
//!
//! The loader uses a policy in one of two [`Mode`]s: **inspect** (the default) keeps a global
//! outside the allowlist as an inert [`crate::Global`] that is never treated as a known
//! constructor, and **strict** refuses it with an error naming it.
//!
//! ```
//! use brinery::policy::{Policy, Preset, Status};
//!
//! let policy = Policy::new().with(Preset::Data).allow("mylib.points", "Point");
//! assert!(policy.allows("collections", "OrderedDict"));
//! assert!(policy.allows("mylib.points", "Point"));
//! assert!(!policy.allows("collections", "OrderedDict.fromkeys")); // no dotted traversal
//! assert_eq!(policy.status("mylib", "Other"), Status::Unknown);
//! assert!(matches!(policy.status("os", "system"), Status::Dangerous(_)));
//!
//! // Strict mode makes the loader refuse what the allowlist does not name:
//! let evil = b"cos\nsystem\n(S'echo hi'\ntR.";
//! let opts = brinery::LoadOptions::default().policy(Policy::new().with(Preset::Data).strict());
//! let err = brinery::loads_with(evil, &opts).unwrap_err();
//! assert_eq!(err.to_string(), "offset 0 (GLOBAL): global 'os.system' is forbidden");
//! // Inspect mode (the default) keeps it as an inert name:
//! assert!(brinery::loads(evil).is_ok());
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

/// What the loader does with a global outside the allowlist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Keep it as an inert, never-called [`crate::Global`] (and never as a known constructor).
    #[default]
    Inspect,
    /// Fail with an error naming it.
    Strict,
}

/// A ready-made allowlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Builtin types and the standard-library constructors brinery knows (datetime, Decimal,
    /// Fraction, UUID, OrderedDict, defaultdict, deque, Counter, complex, range, slice …).
    Data,
    /// NumPy arrays, dtypes and scalars, with NumPy 1 (`numpy.core`) and NumPy 2 (`numpy._core`)
    /// names.
    Numpy,
    /// What `torch.load(weights_only=True)` accepts: tensor rebuild functions, storage and tensor
    /// classes, dtypes, `torch.Size`, `torch.device`, `collections.OrderedDict` … and the
    /// `('storage', …)` persistent ids torch writes.
    Torch,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 3] = [Preset::Data, Preset::Numpy, Preset::Torch];

    /// The preset's name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Data => "data",
            Preset::Numpy => "numpy",
            Preset::Torch => "torch",
        }
    }

    /// Whether this preset names `(module, name)`.
    ///
    /// ```
    /// use brinery::policy::Preset;
    /// assert!(Preset::Numpy.contains("numpy._core.multiarray", "_reconstruct"));
    /// assert!(Preset::Torch.contains("torch", "FloatStorage"));
    /// assert!(!Preset::Data.contains("torch", "FloatStorage"));
    /// ```
    pub fn contains(self, module: &str, name: &str) -> bool {
        match self {
            Preset::Data => data_global(module, name),
            Preset::Numpy => numpy_global(module, name),
            Preset::Torch => torch_global(module, name),
        }
    }

    fn bit(self) -> u8 {
        match self {
            Preset::Data => 1,
            Preset::Numpy => 2,
            Preset::Torch => 4,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "data" => Ok(Preset::Data),
            "numpy" => Ok(Preset::Numpy),
            "torch" | "pytorch" => Ok(Preset::Torch),
            _ => Err(format!("unknown preset '{s}' (expected data, numpy or torch)")),
        }
    }
}

/// How a policy grades one global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// In the allowlist.
    Allowed,
    /// Not in the allowlist, and not a known code-execution or I/O callable.
    Unknown,
    /// Not in the allowlist, and a known way to run code or touch files, processes or the
    /// network; the text says why.
    Dangerous(&'static str),
}

impl Status {
    /// `allowed`, `unknown` or `dangerous`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Allowed => "allowed",
            Status::Unknown => "unknown",
            Status::Dangerous(_) => "dangerous",
        }
    }
}

/// An allowlist of globals and the mode the loader applies it in.
///
/// [`Policy::default`] is [`Preset::Data`] in [`Mode::Inspect`]: what [`crate::loads`] uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    mode: Mode,
    presets: u8,
    extra: HashSet<(String, String)>,
    extensions: HashMap<i32, (String, String)>,
    persistent_ids: PersistentIds,
}

/// Which persistent ids a policy accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersistentIds {
    /// None: a persistent id needs a loader-defined `persistent_load`, outside the allowlist.
    Refuse,
    /// Only torch's `('storage', <allowed storage class>, key, location, numel)`.
    TorchStorage,
    /// Any (the caller resolves them).
    Any,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new().with(Preset::Data)
    }
}

impl Policy {
    /// An empty allowlist in inspect mode: every global is outside it.
    pub fn new() -> Self {
        Policy {
            mode: Mode::Inspect,
            presets: 0,
            extra: HashSet::new(),
            extensions: HashMap::new(),
            persistent_ids: PersistentIds::Refuse,
        }
    }

    /// [`Preset::Data`], [`Preset::Numpy`] and [`Preset::Torch`] together.
    ///
    /// ```
    /// let p = brinery::policy::Policy::all_presets();
    /// assert!(p.allows("torch._utils", "_rebuild_tensor_v2") && p.allows("numpy", "ndarray"));
    /// ```
    pub fn all_presets() -> Self {
        Preset::ALL.iter().fold(Policy::new(), |p, &preset| p.with(preset))
    }

    /// Add a preset's globals. [`Preset::Torch`] also accepts torch's storage persistent ids.
    pub fn with(mut self, preset: Preset) -> Self {
        self.presets |= preset.bit();
        if preset == Preset::Torch && self.persistent_ids == PersistentIds::Refuse {
            self.persistent_ids = PersistentIds::TorchStorage;
        }
        self
    }

    /// Whether a preset is part of this policy.
    pub fn has(&self, preset: Preset) -> bool {
        self.presets & preset.bit() != 0
    }

    /// Allow one exact `(module, qualname)` pair.
    pub fn allow(mut self, module: impl Into<String>, name: impl Into<String>) -> Self {
        self.extra.insert((module.into(), name.into()));
        self
    }

    /// Resolve an extension code (EXT1/EXT2/EXT4) to a global, as `copyreg.add_extension` would
    /// register it. The resolved name still goes through the allowlist.
    ///
    /// ```
    /// use brinery::policy::Policy;
    /// let p = Policy::default().extension(240, "collections", "OrderedDict");
    /// let g = brinery::loads_with(b"\x80\x02\x82\xf0)R.", &brinery::LoadOptions::default().policy(p)).unwrap();
    /// assert!(matches!(g.object(g.root()), Some(brinery::Object::OrderedDict(_))));
    /// ```
    pub fn extension(mut self, code: i32, module: impl Into<String>, name: impl Into<String>) -> Self {
        self.extensions.insert(code, (module.into(), name.into()));
        self
    }

    /// Which persistent ids strict loading accepts and scanning judges safe. [`Preset::Torch`]
    /// sets [`PersistentIds::TorchStorage`].
    pub fn persistent_ids(mut self, accept: PersistentIds) -> Self {
        self.persistent_ids = accept;
        self
    }

    /// Refuse globals outside the allowlist.
    pub fn strict(mut self) -> Self {
        self.mode = Mode::Strict;
        self
    }

    /// Keep globals outside the allowlist as inert names (the default).
    pub fn inspect(mut self) -> Self {
        self.mode = Mode::Inspect;
        self
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Which persistent ids are accepted.
    pub fn accepts_persistent_ids(&self) -> PersistentIds {
        self.persistent_ids
    }

    /// The global an extension code stands for, when one was registered.
    pub fn resolve_extension(&self, code: i32) -> Option<(&str, &str)> {
        self.extensions.get(&code).map(|(m, n)| (m.as_str(), n.as_str()))
    }

    /// Whether `(module, name)` is in the allowlist: an exact match, nothing else.
    pub fn allows(&self, module: &str, name: &str) -> bool {
        Preset::ALL.iter().any(|&p| self.has(p) && p.contains(module, name))
            || (!self.extra.is_empty() && self.extra.contains(&(module.to_owned(), name.to_owned())))
    }

    /// Grade a global: allowed, or outside the allowlist and then unknown or dangerous (see
    /// [`danger`]). The deny list only grades; it never lets anything through.
    pub fn status(&self, module: &str, name: &str) -> Status {
        if self.allows(module, name) {
            return Status::Allowed;
        }
        match danger(module, name) {
            Some(why) => Status::Dangerous(why),
            None => Status::Unknown,
        }
    }

    /// The globals in a loaded graph that this policy does not allow: in inspect mode they stay
    /// inert [`crate::Global`] objects, and this lists them (with their ids) for marking.
    ///
    /// ```
    /// use brinery::Policy;
    /// let g = brinery::loads(b"(cmylib\nThing\nccollections\nOrderedDict\nl.").unwrap();
    /// let outside: Vec<_> = Policy::default().disallowed(&g).map(|(_, gl)| format!("{}.{}", gl.module, gl.name)).collect();
    /// assert_eq!(outside, ["mylib.Thing"]);
    /// ```
    pub fn disallowed<'g>(
        &'g self,
        graph: &'g crate::Graph,
    ) -> impl Iterator<Item = (crate::ObjId, &'g crate::Global)> + 'g {
        graph.objects().filter_map(move |(id, o)| match o {
            crate::Object::Global(g) if !self.allows(&g.module, &g.name) => Some((id, &**g)),
            _ => None,
        })
    }

    /// The error strict mode raises for a global outside the allowlist.
    pub(crate) fn forbidden(module: &str, name: &str) -> crate::Error {
        crate::Error::invalid(format!("global '{module}.{name}' is forbidden"))
    }
}

// ---------------------------------------------------------------------------------------------
// Presets
// ---------------------------------------------------------------------------------------------

fn data_global(module: &str, name: &str) -> bool {
    matches!(
        (module, name),
        (
            "builtins",
            "set"
                | "frozenset"
                | "bytes"
                | "bytearray"
                | "complex"
                | "range"
                | "slice"
                | "list"
                | "dict"
                | "tuple"
                | "int"
                | "float"
                | "str"
                | "bool"
                | "object"
        ) | ("_codecs", "encode")
            | ("copyreg", "_reconstructor" | "__newobj__" | "__newobj_ex__")
            | ("datetime", "date" | "time" | "datetime" | "timedelta" | "timezone")
            | ("decimal", "Decimal")
            | ("fractions", "Fraction")
            | ("uuid", "UUID")
            | ("collections", "OrderedDict" | "defaultdict" | "deque" | "Counter")
    )
}

fn numpy_global(module: &str, name: &str) -> bool {
    const CORE: [&str; 2] = ["numpy.core", "numpy._core"];
    let core = |suffix: &str| CORE.iter().any(|c| module.strip_prefix(c).is_some_and(|rest| rest == suffix));
    match name {
        "_reconstruct" | "scalar" => core(".multiarray"),
        "_frombuffer" => core(".numeric"),
        "ndarray" | "dtype" => module == "numpy" || core(".multiarray"),
        "_mareconstruct" | "MaskedArray" => module == "numpy.ma.core",
        "matrix" => module == "numpy" || module == "numpy.matrixlib.defmatrix",
        // Protocol 0-2 pickles carry array bytes as `_codecs.encode(str, 'latin1')`.
        "encode" => module == "_codecs",
        _ => {
            module == "numpy"
                && matches!(
                    name,
                    "bool_"
                        | "int8"
                        | "int16"
                        | "int32"
                        | "int64"
                        | "uint8"
                        | "uint16"
                        | "uint32"
                        | "uint64"
                        | "float16"
                        | "float32"
                        | "float64"
                        | "longdouble"
                        | "complex64"
                        | "complex128"
                        | "clongdouble"
                        | "str_"
                        | "bytes_"
                        | "void"
                        | "object_"
                        | "datetime64"
                        | "timedelta64"
                )
        }
    }
}

const TORCH_DTYPES: &[&str] = &[
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "complex32",
    "complex64",
    "complex128",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "float8_e5m2",
    "float8_e4m3fn",
    "float8_e5m2fnuz",
    "float8_e4m3fnuz",
    "float8_e8m0fnu",
    "float4_e2m1fn_x2",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "bits8",
    "bits16",
    "uint1",
    "uint2",
    "uint3",
    "uint4",
    "uint5",
    "uint6",
    "uint7",
    "int1",
    "int2",
    "int3",
    "int4",
    "int5",
    "int6",
    "int7",
    "per_tensor_affine",
    "per_tensor_symmetric",
    "per_channel_affine",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
];

/// Legacy storage classes and the size of one element, in bytes.
pub(crate) const TORCH_STORAGES: &[(&str, u64)] = &[
    ("DoubleStorage", 8),
    ("FloatStorage", 4),
    ("HalfStorage", 2),
    ("BFloat16Storage", 2),
    ("LongStorage", 8),
    ("IntStorage", 4),
    ("ShortStorage", 2),
    ("CharStorage", 1),
    ("ByteStorage", 1),
    ("BoolStorage", 1),
    ("ComplexDoubleStorage", 16),
    ("ComplexFloatStorage", 8),
    ("QUInt8Storage", 1),
    ("QInt8Storage", 1),
    ("QInt32Storage", 4),
    ("QUInt4x2Storage", 1),
    ("QUInt2x4Storage", 1),
];

const TORCH_TENSORS: &[&str] = &[
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "BFloat16Tensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
    "ComplexDoubleTensor",
    "ComplexFloatTensor",
];

fn torch_global(module: &str, name: &str) -> bool {
    match module {
        "collections" => matches!(name, "OrderedDict" | "Counter"),
        "builtins" => matches!(name, "set" | "bytearray" | "complex"),
        "_codecs" => name == "encode",
        "torch._utils" => matches!(
            name,
            "_rebuild_parameter"
                | "_rebuild_parameter_with_state"
                | "_rebuild_qtensor"
                | "_rebuild_tensor"
                | "_rebuild_tensor_v2"
                | "_rebuild_tensor_v3"
                | "_rebuild_sparse_tensor"
                | "_rebuild_meta_tensor_no_storage"
                | "_rebuild_wrapper_subclass"
                | "_rebuild_device_tensor_from_numpy"
                | "_rebuild_device_tensor_from_cpu_tensor"
                | "_rebuild_nested_tensor"
        ),
        "torch._tensor" => name == "_rebuild_from_type_v2",
        "torch.nn.parameter" => name == "Parameter",
        "torch.serialization" => name == "_get_layout",
        "torch.storage" => matches!(name, "TypedStorage" | "UntypedStorage"),
        "torch" => {
            matches!(name, "Size" | "Tensor" | "device" | "UntypedStorage" | "TypedStorage")
                || TORCH_DTYPES.contains(&name)
                || TORCH_STORAGES.iter().any(|(s, _)| *s == name)
                || TORCH_TENSORS.contains(&name)
        }
        "torch.cuda" => TORCH_STORAGES.iter().any(|(s, _)| *s == name) || TORCH_TENSORS.contains(&name),
        _ => false,
    }
}

/// Bytes per element of a torch storage class (`FloatStorage` → 4), for legacy torch files.
pub(crate) fn torch_element_size(module: &str, name: &str) -> Option<u64> {
    if module != "torch" && module != "torch.cuda" {
        return None;
    }
    if name == "UntypedStorage" {
        return Some(1);
    }
    TORCH_STORAGES.iter().find(|(s, _)| *s == name).map(|&(_, n)| n)
}

// ---------------------------------------------------------------------------------------------
// The deny list (grading only)
// ---------------------------------------------------------------------------------------------

/// Modules every name of which is a way to run code, reach the operating system, files or the
/// network, or to unpickle more data.
const DANGEROUS_MODULES: &[(&str, &str)] = &[
    ("os", "operating system access (processes, files, environment)"),
    ("posix", "operating system access (processes, files, environment)"),
    ("nt", "operating system access (processes, files, environment)"),
    ("posixpath", "path module exposing the os module"),
    ("ntpath", "path module exposing the os module"),
    ("subprocess", "runs processes"),
    ("_posixsubprocess", "runs processes"),
    ("_winapi", "runs processes"),
    ("pty", "runs processes"),
    ("commands", "runs shell commands"),
    ("popen2", "runs processes"),
    ("platform", "runs processes"),
    ("asyncio", "runs processes and opens connections"),
    ("multiprocessing", "runs processes"),
    ("concurrent", "runs code in workers"),
    ("threading", "runs callables in threads"),
    ("_thread", "runs callables in threads"),
    ("thread", "runs callables in threads"),
    ("signal", "installs signal handlers"),
    ("sys", "interpreter state (modules, hooks, exit)"),
    ("runpy", "runs modules and files"),
    ("code", "runs code"),
    ("codeop", "compiles code"),
    ("types", "builds functions and code objects"),
    ("marshal", "loads code objects"),
    ("importlib", "imports modules"),
    ("imp", "imports modules"),
    ("_imp", "imports modules"),
    ("zipimport", "imports modules"),
    ("pkgutil", "imports modules"),
    ("site", "imports modules"),
    ("ctypes", "calls native code"),
    ("_ctypes", "calls native code"),
    ("cffi", "calls native code"),
    ("operator", "attribute and item getters reach any object"),
    ("_operator", "attribute and item getters reach any object"),
    ("pickle", "unpickles more data"),
    ("_pickle", "unpickles more data"),
    ("cPickle", "unpickles more data"),
    ("pickletools", "unpickles more data"),
    ("dill", "unpickles more data"),
    ("cloudpickle", "unpickles more data"),
    ("joblib", "unpickles more data"),
    ("shelve", "unpickles more data"),
    ("socket", "opens network connections"),
    ("_socket", "opens network connections"),
    ("socketserver", "opens network connections"),
    ("ssl", "opens network connections"),
    ("http", "opens network connections"),
    ("httplib", "opens network connections"),
    ("urllib", "opens network connections"),
    ("urllib2", "opens network connections"),
    ("urllib3", "opens network connections"),
    ("requests", "opens network connections"),
    ("ftplib", "opens network connections"),
    ("smtplib", "opens network connections"),
    ("telnetlib", "opens network connections"),
    ("xmlrpc", "opens network connections"),
    ("webbrowser", "opens a browser"),
    ("shutil", "copies, moves and deletes files"),
    ("tempfile", "creates files"),
    ("pathlib", "reads and writes files"),
    ("fileinput", "reads files"),
    ("linecache", "reads files"),
    ("glob", "lists files"),
    ("tarfile", "reads and writes archives on disk"),
    ("zipfile", "reads and writes archives on disk"),
    ("sqlite3", "opens database files"),
    ("mmap", "maps files"),
    ("fcntl", "operating system calls"),
    ("resource", "operating system limits"),
    ("pdb", "runs code under the debugger"),
    ("bdb", "runs code under the debugger"),
    ("timeit", "runs code"),
    ("trace", "runs code"),
    ("profile", "runs code"),
    ("cProfile", "runs code"),
    ("doctest", "runs code"),
    ("unittest", "runs code"),
    ("idlelib", "runs code"),
    ("pip", "installs packages"),
    ("ensurepip", "installs packages"),
    ("setuptools", "runs build commands"),
    ("distutils", "runs build commands"),
    ("venv", "creates environments"),
    ("numexpr", "evaluates expressions"),
    ("yaml", "loads objects from YAML"),
];

/// Names inside otherwise harmless modules that run code or reach the outside world.
const DANGEROUS_NAMES: &[(&str, &str, &str)] = &[
    ("builtins", "eval", "evaluates code"),
    ("builtins", "exec", "runs code"),
    ("builtins", "execfile", "runs code"),
    ("builtins", "compile", "compiles code"),
    ("builtins", "open", "opens files"),
    ("builtins", "file", "opens files"),
    ("builtins", "input", "reads standard input"),
    ("builtins", "raw_input", "reads standard input"),
    ("builtins", "getattr", "reaches any attribute of any object"),
    ("builtins", "setattr", "changes any attribute of any object"),
    ("builtins", "delattr", "deletes attributes"),
    ("builtins", "__import__", "imports modules"),
    ("builtins", "globals", "exposes module globals"),
    ("builtins", "locals", "exposes local variables"),
    ("builtins", "vars", "exposes object namespaces"),
    ("builtins", "breakpoint", "starts the debugger"),
    ("builtins", "help", "starts the help system"),
    ("builtins", "exit", "exits the interpreter"),
    ("builtins", "quit", "exits the interpreter"),
    ("builtins", "reload", "reloads modules"),
    ("builtins", "apply", "calls any callable"),
    ("builtins", "__build_class__", "builds classes from code"),
    ("builtins", "type", "creates classes"),
    ("codecs", "open", "opens files"),
    ("io", "open", "opens files"),
    ("io", "open_code", "opens files"),
    ("io", "FileIO", "opens files"),
    ("_io", "open", "opens files"),
    ("_io", "open_code", "opens files"),
    ("_io", "FileIO", "opens files"),
    ("copyreg", "add_extension", "changes how pickles load"),
    ("copyreg", "remove_extension", "changes how pickles load"),
    ("copyreg", "pickle", "changes how pickles load"),
    ("codecs", "EncodedFile", "wraps files"),
    ("functools", "partial", "binds any callable"),
    ("functools", "reduce", "calls a callable repeatedly"),
    ("functools", "partialmethod", "binds any callable"),
    ("numpy", "load", "loads files, possibly pickles"),
    ("numpy", "loads", "unpickles more data"),
    ("numpy", "save", "writes files"),
    ("numpy", "fromfile", "reads files"),
    ("numpy", "loadtxt", "reads files"),
    ("numpy", "genfromtxt", "reads files"),
    ("numpy.core.numeric", "loads", "unpickles more data"),
    ("numpy.lib.npyio", "load", "loads files, possibly pickles"),
    ("numpy.testing._private.utils", "runstring", "runs code"),
    ("torch", "load", "loads files, possibly pickles"),
    ("torch", "save", "writes files"),
    ("torch.serialization", "load", "loads files, possibly pickles"),
    ("torch.serialization", "save", "writes files"),
    ("torch.storage", "_load_from_bytes", "unpickles more data"),
    ("torch.jit", "load", "loads TorchScript code"),
    ("torch._C", "_jit_pass_onnx", "runs compiled passes"),
    ("torch.hub", "load", "downloads and runs code"),
    ("torch.hub", "load_state_dict_from_url", "downloads files"),
    ("torch.hub", "download_url_to_file", "downloads files"),
    ("torch.utils.cpp_extension", "load", "compiles and loads native code"),
    ("torch.utils.cpp_extension", "load_inline", "compiles and loads native code"),
    ("pandas", "read_pickle", "unpickles more data"),
    ("pandas.io.pickle", "read_pickle", "unpickles more data"),
    ("gzip", "open", "opens files"),
    ("bz2", "open", "opens files"),
    ("lzma", "open", "opens files"),
    ("inspect", "getattr_static", "reaches any attribute of any object"),
    ("logging.config", "listen", "opens network connections"),
    ("logging.config", "fileConfig", "reads files"),
];

/// Module names whose appearance anywhere inside a dotted qualname means the name reaches
/// them by attribute traversal (`torch.hub` → `hub.os.system`).
const TRAVERSAL_TARGETS: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "builtins",
    "__builtins__",
    "__builtin__",
    "importlib",
    "pickle",
    "_pickle",
    "marshal",
    "runpy",
    "ctypes",
    "socket",
    "shutil",
    "pty",
    "code",
    "types",
    "operator",
    "eval",
    "exec",
    "compile",
    "open",
    "getattr",
    "setattr",
    "system",
    "popen",
    "Popen",
    "spawn",
    "execv",
    "execve",
    "load",
    "loads",
];

/// Why a global is a known way to run code or touch the outside world, if it is one.
///
/// This list only grades globals that are *not* in an allowlist: anything outside the allowlist
/// is at least unknown, and this tells `dangerous` from `unknown`. Python 2 names count as their
/// Python 3 equivalents (`__builtin__.eval` is `builtins.eval`), and a dotted qualname is
/// dangerous when its traversal goes through a dunder attribute or reaches one of these modules.
///
/// ```
/// use brinery::policy::danger;
/// assert!(danger("posix", "system").is_some());
/// assert!(danger("__builtin__", "eval").is_some());
/// assert!(danger("torch", "hub.os.system").is_some());
/// assert!(danger("builtins", "dict.__class__").is_some());
/// assert!(danger("collections", "OrderedDict").is_none());
/// assert!(danger("mylib", "Model").is_none());
/// ```
pub fn danger(module: &str, name: &str) -> Option<&'static str> {
    let (m3, n3) = crate::compat::to_py3(module, name);
    danger_exact(module, name).or_else(|| danger_exact(m3, n3)).or_else(|| danger_dotted(m3, n3))
}

fn module_danger(module: &str) -> Option<&'static str> {
    DANGEROUS_MODULES.iter().find_map(|&(m, why)| {
        let hit = module == m || module.strip_prefix(m).is_some_and(|rest| rest.starts_with('.'));
        hit.then_some(why)
    })
}

fn danger_exact(module: &str, name: &str) -> Option<&'static str> {
    if let Some(why) = module_danger(module) {
        return Some(why);
    }
    let first = name.split('.').next().unwrap_or(name);
    let module = if module == "__builtin__" || module == "__builtins__" { "builtins" } else { module };
    DANGEROUS_NAMES.iter().find(|&&(m, n, _)| m == module && (n == name || n == first)).map(|&(_, _, why)| why)
}

fn danger_dotted(module: &str, name: &str) -> Option<&'static str> {
    if !name.contains('.') {
        return None;
    }
    let mut parts = name.split('.');
    parts.next();
    for part in parts {
        if part.starts_with("__") && part.ends_with("__") && part.len() > 4 {
            return Some("attribute traversal through a dunder attribute");
        }
        if TRAVERSAL_TARGETS.contains(&part) {
            return Some("attribute traversal reaches a dangerous object");
        }
    }
    // `module` + leading parts of the name may spell a dangerous module (`os` + `path.system`).
    let full = format!("{module}.{name}");
    let segs: Vec<&str> = full.split('.').collect();
    for i in 1..segs.len() {
        let m = segs[..i].join(".");
        let n = segs[i..].join(".");
        if let Some(why) = danger_exact(&m, &n) {
            return Some(why);
        }
    }
    None
}

/// Whether a module and qualname could name something Python can import: dotted identifiers.
pub(crate) fn importable(module: &str, name: &str) -> bool {
    fn ident(s: &str) -> bool {
        let mut chars = s.chars();
        matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    }
    !module.is_empty() && module.split('.').all(ident) && !name.is_empty() && name.split('.').all(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_exact() {
        let p = Policy::all_presets();
        assert!(p.allows("numpy.core.multiarray", "_reconstruct"));
        assert!(p.allows("numpy._core.numeric", "_frombuffer"));
        assert!(!p.allows("numpy.core.multiarrayx", "_reconstruct"));
        assert!(!p.allows("numpy", "_reconstruct"));
        assert!(!p.allows("torch", "load"));
        assert!(!p.allows("builtins", "getattr"));
        assert!(!p.allows("collections", "OrderedDict.__init__"));
    }

    #[test]
    fn grading() {
        let p = Policy::default();
        for (m, n) in [
            ("os", "system"),
            ("nt", "system"),
            ("subprocess", "Popen"),
            ("builtins", "eval"),
            ("builtins", "exec"),
            ("__builtin__", "getattr"),
            ("builtins", "getattr.__call__"),
            ("operator", "attrgetter"),
            ("_operator", "methodcaller"),
            ("importlib", "import_module"),
            ("importlib.util", "spec_from_file_location"),
            ("pickle", "loads"),
            ("cPickle", "loads"),
            ("codecs", "open"),
            ("torch", "hub.os.system"),
            ("collections", "OrderedDict.__init__.__globals__"),
            ("os.path", "join"),
        ] {
            assert!(matches!(p.status(m, n), Status::Dangerous(_)), "{m}.{n}");
        }
        assert_eq!(p.status("mymodule", "Thing"), Status::Unknown);
        assert_eq!(p.status("collections", "OrderedDict"), Status::Allowed);
    }

    #[test]
    fn importable_names() {
        assert!(importable("os.path", "join"));
        assert!(importable("corpus", "Outer.Inner"));
        assert!(!importable("cmake_minimum_required(VERSION 3)", "x"));
        assert!(!importable("", "x"));
    }
}
