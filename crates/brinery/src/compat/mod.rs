//! Python 2 ↔ 3 module and name mapping, applied to globals for protocols below 3
//! (what CPython's `fix_imports` does).

mod table;

use table::{Name, IMPORT_MAPPING, NAME_MAPPING, REVERSE_IMPORT_MAPPING, REVERSE_NAME_MAPPING};

fn find_pair(table: &'static [(Name, Name)], key: (&str, &str)) -> Option<Name> {
    table.binary_search_by(|(k, _)| k.cmp(&key)).ok().map(|i| table[i].1)
}

fn find_module(table: &'static [(&'static str, &'static str)], module: &str) -> Option<&'static str> {
    table.binary_search_by(|(k, _)| (*k).cmp(module)).ok().map(|i| table[i].1)
}

/// Map a Python 2 global to its Python 3 name, as the unpickler does for protocols below 3.
///
/// ```
/// assert_eq!(brinery::compat::to_py3("__builtin__", "set"), ("builtins", "set"));
/// assert_eq!(brinery::compat::to_py3("copy_reg", "_reconstructor"), ("copyreg", "_reconstructor"));
/// ```
pub fn to_py3<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    if let Some(mapped) = find_pair(&NAME_MAPPING, (module, name)) {
        return mapped;
    }
    match find_module(&IMPORT_MAPPING, module) {
        Some(m) => (m, name),
        None => (module, name),
    }
}

/// Map a Python 3 global to the name Python 2 knows, as the pickler does for protocols below 3.
///
/// ```
/// assert_eq!(brinery::compat::to_py2("builtins", "set"), ("__builtin__", "set"));
/// ```
pub fn to_py2<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    if let Some(mapped) = find_pair(&REVERSE_NAME_MAPPING, (module, name)) {
        return mapped;
    }
    match find_module(&REVERSE_IMPORT_MAPPING, module) {
        Some(m) => (m, name),
        None => (module, name),
    }
}
