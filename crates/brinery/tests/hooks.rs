//! Persistent ids and protocol 5 out-of-band buffers, against CPython.

use brinery::{DumpOptions, Graph, LoadOptions, Object};
use std::process::Command;

fn python(script: &str, args: &[&std::path::Path]) -> String {
    let out = Command::new("python3").arg("-c").arg(script).args(args).output().expect("python3");
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn persistent_ids_written_by_cpython_survive_brinery() {
    let dir = tempfile::tempdir().unwrap();
    // CPython writes records whose 'blob' fields are persistent references.
    python(
        r#"
import pickle, sys, os
class P(pickle.Pickler):
    def __init__(self, f, proto):
        super().__init__(f, proto)
        self.text_ids = proto == 0
    def persistent_id(self, obj):
        if isinstance(obj, bytes) and obj.startswith(b'ext:'):
            key = obj[4:].decode()
            return 'ref-' + key if self.text_ids else ('ref', key)
        return None
data = [{'id': i, 'blob': b'ext:%d' % i} for i in range(5)]
for proto in range(6):
    with open(os.path.join(sys.argv[1], 'p%d.pkl' % proto), 'wb') as f:
        P(f, proto).dump(data)
"#,
        &[dir.path()],
    );
    for src in 0..=5u8 {
        let data = std::fs::read(dir.path().join(format!("p{src}.pkl"))).unwrap();
        let g = brinery::loads(&data).unwrap();
        let pids = g.objects().filter(|(_, o)| matches!(o, Object::PersistentId(_))).count();
        assert_eq!(pids, 5, "protocol {src}: persistent ids kept");
        for dst in 0..=5u8 {
            if (src == 0) != (dst == 0) {
                continue; // protocol 0 ids are text, the others tuples: each side reads its own
            }
            let out = dir.path().join(format!("p{src}-to-{dst}.pkl"));
            std::fs::write(&out, brinery::dumps(&g, dst).unwrap()).unwrap();
        }
    }
    let report = python(
        r#"
import pickle, sys, glob, os
class U(pickle.Unpickler):
    def persistent_load(self, pid):
        return ('loaded', pid)
n = 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], 'p*-to-*.pkl'))):
    src = path.replace('-to-', ' ').split(' ')[0] + '.pkl'
    with open(src, 'rb') as f: want = U(f).load()
    with open(path, 'rb') as f: got = U(f).load()
    assert got == want, (path, got, want)
    n += 1
print(n)
"#,
        &[dir.path()],
    );
    assert_eq!(report.trim(), "26");
}

/// `g` written in every protocol to `dir/{proto}.pkl`, with `hook` as its persistent_id hook.
fn dump_every_protocol(
    g: &Graph,
    dir: &std::path::Path,
    hook: impl Fn(&Graph, brinery::Value) -> Option<brinery::Value>,
) {
    for proto in 0..=5u8 {
        let mut opts = DumpOptions::new(proto).persistent_id(|g, v| hook(g, v));
        let bytes = brinery::dumps_with(g, &mut opts).unwrap();
        std::fs::write(dir.join(format!("{proto}.pkl")), bytes).unwrap();
    }
}

#[test]
fn persistent_id_hook_writes_references() {
    let mut g = Graph::new();
    let big = g.bytes(&[7u8; 100]);
    let small = g.str("kept inline");
    let pid = g.str("blob-1");
    let root = g.list(vec![big, small, big]);
    g.set_root(root);
    let dir = tempfile::tempdir().unwrap();
    dump_every_protocol(&g, dir.path(), |_, v| (v == big).then_some(pid));
    let report = python(
        r#"
import pickle, sys, os
class U(pickle.Unpickler):
    def persistent_load(self, pid):
        assert pid == 'blob-1', pid
        return 'BLOB'
for proto in range(6):
    with open(os.path.join(sys.argv[1], '%d.pkl' % proto), 'rb') as f:
        assert U(f).load() == ['BLOB', 'kept inline', 'BLOB'], proto
print('ok')
"#,
        &[dir.path()],
    );
    assert_eq!(report.trim(), "ok");
}

/// The hook is asked about every value, wherever it sits: strs, scalars and repeated objects
/// inside lists and dicts, which the pickler otherwise writes by faster paths.
#[test]
fn persistent_id_hook_is_asked_inside_containers() {
    use brinery::Value;
    let mut g = Graph::new();
    let swapped = g.str("swapped str");
    let kept = g.str("kept str");
    let key = g.str("key");
    let d = g.dict();
    g.dict_extend(d, &[(key, swapped), (kept, Value::Int(7)), (Value::Int(1), Value::Int(7))]).unwrap();
    let scalars = g.list(vec![Value::Int(2), Value::Int(7), Value::None]);
    let root = g.list(vec![kept, swapped, kept, Value::Int(7), d, swapped, scalars]);
    g.set_root(root);
    let (pid_str, pid_int) = (g.str("pid-str"), g.str("pid-int"));
    let dir = tempfile::tempdir().unwrap();
    dump_every_protocol(&g, dir.path(), |_, v| match v {
        Value::Int(7) => Some(pid_int),
        v if v == swapped => Some(pid_str),
        _ => None,
    });
    let report = python(
        r#"
import pickle, sys, os
class U(pickle.Unpickler):
    def persistent_load(self, pid):
        return {'pid-str': 'STR', 'pid-int': 'INT'}[pid]
want = ['kept str', 'STR', 'kept str', 'INT', {'key': 'STR', 'kept str': 'INT', 1: 'INT'}, 'STR',
        [2, 'INT', None]]
for proto in range(6):
    with open(os.path.join(sys.argv[1], '%d.pkl' % proto), 'rb') as f:
        got = U(f).load()
        assert got == want, (proto, got)
print('ok')
"#,
        &[dir.path()],
    );
    assert_eq!(report.trim(), "ok");
}

#[test]
fn out_of_band_buffers_round_trip_with_cpython() {
    let dir = tempfile::tempdir().unwrap();
    python(
        r#"
import pickle, sys, os
d = sys.argv[1]
bufs = []
obj = {'a': pickle.PickleBuffer(bytearray(b'writable data')), 'b': pickle.PickleBuffer(b'read-only data'), 'n': 1}
with open(os.path.join(d, 'oob.pkl'), 'wb') as f:
    f.write(pickle.dumps(obj, 5, buffer_callback=bufs.append))
for i, b in enumerate(bufs):
    with open(os.path.join(d, 'buf%d' % i), 'wb') as f:
        f.write(b.raw())
"#,
        &[dir.path()],
    );
    let data = std::fs::read(dir.path().join("oob.pkl")).unwrap();
    let buffers: Vec<Vec<u8>> = (0..2).map(|i| std::fs::read(dir.path().join(format!("buf{i}"))).unwrap()).collect();

    // Without the buffers the structure still loads, with placeholders.
    let inert = brinery::loads(&data).unwrap();
    assert_eq!(inert.objects().filter(|(_, o)| matches!(o, Object::Buffer(b) if b.data.is_none())).count(), 2);

    let g = brinery::loads_with(&data, &LoadOptions::default().buffers(buffers.clone())).unwrap();
    // Out-of-band again: the callback keeps the buffers, the pickle refers to them.
    let mut kept: Vec<Vec<u8>> = Vec::new();
    let mut opts = DumpOptions::new(5).buffer_callback(|b| {
        kept.push(b.to_vec());
        false
    });
    let oob = brinery::dumps_with(&g, &mut opts).unwrap();
    drop(opts);
    assert_eq!(oob, data, "same bytes as CPython's out-of-band pickle");
    assert_eq!(kept, buffers);
    // In-band: bytearray for the writable buffer, bytes for the read-only one.
    let inband = brinery::dumps(&g, 5).unwrap();
    std::fs::write(dir.path().join("inband.pkl"), inband).unwrap();
    let report = python(
        r#"
import pickle, sys, os
with open(os.path.join(sys.argv[1], 'inband.pkl'), 'rb') as f:
    obj = pickle.load(f)
a, b = obj['a'], obj['b']
print(type(a).__name__, bytes(a), type(b).__name__, bytes(b), obj['n'])
"#,
        &[dir.path()],
    );
    assert_eq!(report.trim(), "bytearray b'writable data' bytes b'read-only data' 1");
}

#[test]
fn known_types_with_extra_state_keep_it() {
    let dir = tempfile::tempdir().unwrap();
    python(
        r#"
import pickle, sys, os, collections
od = collections.OrderedDict(a=1)
od.note = 'kept'
for proto in range(6):
    with open(os.path.join(sys.argv[1], '%d.pkl' % proto), 'wb') as f:
        pickle.dump([od, od], f, proto)
"#,
        &[dir.path()],
    );
    for proto in 0..=5u8 {
        let g = brinery::loads(&std::fs::read(dir.path().join(format!("{proto}.pkl"))).unwrap()).unwrap();
        std::fs::write(dir.path().join(format!("{proto}.out")), brinery::dumps(&g, proto).unwrap()).unwrap();
    }
    let report = python(
        r#"
import pickle, sys, os
for proto in range(6):
    with open(os.path.join(sys.argv[1], '%d.out' % proto), 'rb') as f:
        a, b = pickle.load(f)
    assert a is b and a == {'a': 1} and a.note == 'kept' and type(a).__name__ == 'OrderedDict', proto
print('ok')
"#,
        &[dir.path()],
    );
    assert_eq!(report.trim(), "ok");
}
