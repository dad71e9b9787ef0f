//! Python's `repr` of a float (the shortest round-trip form), for protocol 0's FLOAT.

/// `repr(f)` as CPython writes it.
///
/// ```
/// use brinery::float_repr;
/// assert_eq!(float_repr(1.0), "1.0");
/// assert_eq!(float_repr(1e16), "1e+16");
/// assert_eq!(float_repr(1e-5), "1e-05");
/// assert_eq!(float_repr(0.0001), "0.0001");
/// assert_eq!(float_repr(-0.0), "-0.0");
/// assert_eq!(float_repr(f64::INFINITY), "inf");
/// assert_eq!(float_repr(123456789.12695312), "123456789.12695312"); // a tie, rounded to even
/// ```
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` finds how many digits the shortest round-trip form needs; formatting again with
    // exactly that many rounds the true value half-to-even, as Python's repr does (the shortest
    // form alone may round a tie up).
    let shortest = format!("{:e}", f.abs());
    let digits_needed = shortest.split_once('e').map_or(1, |(m, _)| m.chars().filter(char::is_ascii_digit).count());
    let sci = format!("{:.*e}", digits_needed.saturating_sub(1), f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        let pad = "0".repeat(int_len - digits.len());
        format!("{sign}{digits}{pad}.0")
    } else {
        let (int, frac) = digits.split_at(int_len);
        format!("{sign}{int}.{frac}")
    }
}
