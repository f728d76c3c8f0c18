//! `idaas jwks --keys DIR`: the public JWK set of a key directory.

use std::path::Path;

use idaas::oauth::KeyDirectory;

use crate::exit::{Code, Failure};

pub fn run(dir: &Path, json: bool) -> Result<Code, Failure> {
    let keys =
        KeyDirectory::load(dir).map_err(|e| Failure::new(Code::Usage, e.to_string(), json))?;
    for (path, reason) in keys.skipped() {
        eprintln!("skipped {}: {reason}", path.display());
    }
    if keys.is_empty() {
        return Err(Failure::new(
            Code::Usage,
            format!("no usable private key in {}", dir.display()),
            json,
        ));
    }
    // the set is JSON either way: it is what a jwt-bearer issuer publishes
    println!("{}", keys.jwk_set_json());
    Ok(Code::Ok)
}
