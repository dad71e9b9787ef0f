//! The iteration order CPython gives a set it rebuilds while unpickling.
//!
//! Unpickling inserts a set's items in the order they were pickled, and a CPython set iterates
//! in hash-table order, which is not always that order: items whose slots collide can swap.
//! For items whose hashes do not depend on the process (ints, bools, floats, complex numbers,
//! and tuples and frozensets of those) this replays CPython 3.11's table (`setobject.c`:
//! linear probing, perturbation, resizing) to find that order. Sets holding anything else (str
//! and bytes hash with a per-process seed, None by address in 3.11) keep the pickled order.

use crate::value::{Graph, Object, Value};
use num_bigint::{BigInt, Sign};

const MODULUS: u64 = (1 << 61) - 1;
const INF: u64 = 314159;
const DEPTH: usize = 64;
/// Most hash steps for one set: shared sub-tuples can make hashing exponential.
const BUDGET: usize = 1 << 20;

fn fix(h: u64) -> u64 {
    if h == u64::MAX {
        u64::MAX - 1
    } else {
        h
    }
}

/// `hash(n)` for an int.
fn hash_big(n: &BigInt) -> u64 {
    let (sign, digits) = n.to_u64_digits();
    let mut x: u128 = 0;
    for &d in digits.iter().rev() {
        x = ((x << 64) | d as u128) % MODULUS as u128;
    }
    let x = x as u64;
    fix(if sign == Sign::Minus { x.wrapping_neg() } else { x })
}

fn hash_i64(i: i64) -> u64 {
    let x = i.unsigned_abs() % MODULUS;
    fix(if i < 0 { x.wrapping_neg() } else { x })
}

/// `hash(f)`, None for NaN (hashed by address).
fn hash_float(f: f64) -> Option<u64> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { INF } else { INF.wrapping_neg() });
    }
    if f == 0.0 {
        return Some(0);
    }
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (mant, e) = if exp == 0 { (frac, -1074) } else { (frac | (1 << 52), exp - 1075) };
    // f = mant * 2**e, and 2**61 == 1 (mod MODULUS).
    let shift = e.rem_euclid(61) as u32;
    let x = ((mant as u128 % MODULUS as u128) * ((1u128 << shift) % MODULUS as u128) % MODULUS as u128) as u64;
    Some(fix(if f < 0.0 { x.wrapping_neg() } else { x }))
}

fn shuffle(h: u64) -> u64 {
    ((h ^ 89869747) ^ (h << 16)).wrapping_mul(3644798167)
}

/// `hash(v)` when it does not depend on the process (and takes fewer than `budget` steps).
fn hash(g: &Graph, v: Value, depth: usize, budget: &mut usize) -> Option<u64> {
    if depth > DEPTH || *budget == 0 {
        return None;
    }
    *budget -= 1;
    match v {
        Value::None => None,
        Value::Bool(b) => Some(b as u64),
        Value::Int(i) => Some(hash_i64(i)),
        Value::Float(f) => hash_float(f),
        Value::Ref(_) => match g.object(v)? {
            Object::Int(n) => Some(hash_big(n)),
            Object::Complex(re, im) => {
                let (r, i) = (hash_float(*re)?, hash_float(*im)?);
                Some(fix(r.wrapping_add(1000003u64.wrapping_mul(i))))
            }
            Object::Tuple(items) => {
                const P1: u64 = 11400714785074694791;
                const P2: u64 = 14029467366897019727;
                const P5: u64 = 2870177450012600261;
                let mut acc = P5;
                for &item in items {
                    let lane = hash(g, item, depth + 1, budget)?;
                    acc = acc.wrapping_add(lane.wrapping_mul(P2));
                    acc = acc.rotate_left(31);
                    acc = acc.wrapping_mul(P1);
                }
                acc = acc.wrapping_add(items.len() as u64 ^ (P5 ^ 3527539));
                Some(if acc == u64::MAX { 1546275796 } else { acc })
            }
            Object::FrozenSet(s) => {
                let mut h = 0u64;
                for &item in s.items() {
                    h ^= shuffle(hash(g, item, depth + 1, budget)?);
                }
                h ^= (s.len() as u64 + 1).wrapping_mul(1927868237);
                h ^= (h >> 11) ^ (h >> 25);
                h = h.wrapping_mul(69069).wrapping_add(907133923);
                Some(if h == u64::MAX { 590923713 } else { h })
            }
            _ => None,
        },
    }
}

const LINEAR_PROBES: usize = 9;

/// Where `hash` lands in a table without dummies (`set_insert_clean` / the unused-slot search
/// of `set_add_entry`, which probe alike).
fn slot(table: &[Option<(u32, u64)>], hash: u64) -> usize {
    let mask = table.len() - 1;
    let mut perturb = hash;
    let mut i = hash as usize & mask;
    loop {
        if table[i].is_none() {
            return i;
        }
        if i + LINEAR_PROBES <= mask {
            for j in 1..=LINEAR_PROBES {
                if table[i + j].is_none() {
                    return i + j;
                }
            }
        }
        perturb >>= 5;
        i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb as usize)) & mask;
    }
}

/// The order CPython iterates a set built by adding `items` in order; None when a hash is not
/// known.
pub(super) fn iteration_order(g: &Graph, items: &[Value]) -> Option<Vec<u32>> {
    let mut budget = BUDGET;
    let hashes: Vec<u64> = items.iter().map(|&v| hash(g, v, 0, &mut budget)).collect::<Option<_>>()?;
    let mut table: Vec<Option<(u32, u64)>> = vec![None; 8];
    let mut fill = 0usize;
    for (i, &h) in hashes.iter().enumerate() {
        let at = slot(&table, h);
        table[at] = Some((i as u32, h));
        fill += 1;
        let mask = table.len() - 1;
        if fill * 5 >= mask * 3 {
            let minused = if fill > 50000 { fill * 2 } else { fill * 4 };
            let mut size = 8;
            while size <= minused {
                size <<= 1;
            }
            let mut new: Vec<Option<(u32, u64)>> = vec![None; size];
            for &(idx, h) in table.iter().flatten() {
                let at = slot(&new, h);
                new[at] = Some((idx, h));
            }
            table = new;
        }
    }
    Some(table.iter().flatten().map(|&(i, _)| i).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_cpython() {
        // Values from CPython 3.11 on 64-bit.
        assert_eq!(hash_i64(-1) as i64, -2);
        assert_eq!(hash_i64(1 << 61) as i64, 1);
        assert_eq!(hash_float(1.5), Some(1152921504606846977));
        assert_eq!(hash_float(-0.5).map(|h| h as i64), Some(-1152921504606846976));
        assert_eq!(hash_float(1e300), Some(1224995262755759164));
        assert_eq!(hash_float(f64::INFINITY), Some(314159));
        let mut g = Graph::new();
        let b = &mut BUDGET.clone();
        assert_eq!(hash(&g, Value::Int(7), 0, b), Some(7));
        let t = g.tuple(vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(hash(&g, t, 0, b).map(|h| h as i64), Some(-3550055125485641917));
        let fs = g.add(Object::FrozenSet(Default::default()));
        g.set_add(fs, Value::Int(1)).unwrap();
        assert_eq!(hash(&g, fs, 0, b).map(|h| h as i64), Some(-558064481276695278));
        let c = g.add(Object::Complex(1.0, 2.0));
        assert_eq!(hash(&g, c, 0, b), Some(2000007));
    }

    #[test]
    fn small_ints_iterate_sorted() {
        let g = Graph::new();
        let items: Vec<Value> = [5, 3, 1, 7, 2].iter().map(|&i| Value::Int(i)).collect();
        let order = iteration_order(&g, &items).unwrap();
        let got: Vec<i64> = order
            .iter()
            .map(|&i| match items[i as usize] {
                Value::Int(n) => n,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(got, [1, 2, 3, 5, 7]);
    }
}
